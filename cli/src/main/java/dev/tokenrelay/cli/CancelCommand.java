package dev.tokenrelay.cli;

import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.tools.Cluster;
import dev.tokenrelay.tools.ClusterOptions;
import dev.tokenrelay.tools.ControlWriter;
import dev.tokenrelay.tools.ToolException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cancel}: writes cancellations to the control topic. The processor ends the waiting
 * attempts of the requests named {@code cancelled}, with no upstream call, and those that arrive
 * later too; a call already running finishes, and its result stands.
 */
@Command(name = "cancel", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cancel requests: a batch (--batch), requests by id (ID...), or every request whose metadata "
                + "field KEY is VALUE (--metadata KEY=VALUE).",
                "Their waiting attempts end cancelled (499) with no upstream call, and so do those that arrive later. "
                        + "A call already running is not interrupted: it finishes, with no failover after it."},
        footerHeading = "%nExamples:%n",
        footer = {"  tokenrelay cancel --config tokenrelay.yaml --batch nightly-7",
                "  tokenrelay cancel --config tokenrelay.yaml req-1 req-2",
                "  tokenrelay cancel --config tokenrelay.yaml --metadata tenant=acme --reason 'tenant left'",
                "%nExit codes: 0 every cancellation was written; 1 Kafka failed; 2 a usage error."})
public final class CancelCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "ID", description = "The ids of the requests to cancel.")
    List<String> requestIds = new ArrayList<>();

    @Option(names = "--batch", paramLabel = "ID", description = "Cancel every request of this batch.")
    String batch;

    @Option(names = "--metadata", paramLabel = "KEY=VALUE",
            description = "Cancel every request whose top-level metadata field KEY has the text VALUE.")
    String metadata;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Why, as the cancelled results say it (default: what was cancelled, e.g. batch nightly-7 cancelled).")
    String reason;

    @Mixin
    ClusterOptions cluster;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            List<Cancel> cancels = cancels(Instant.now());
            Cluster kafka = cluster.resolve();
            kafka.requireTopics(kafka.topics().control().name());
            try (ControlWriter control = ControlWriter.open(kafka, "tokenrelay-cancel")) {
                for (Cancel cancel : cancels) {
                    control.write(cancel.key(), cancel);
                    err.println("cancel: " + cancel.describe() + " (" + cancel.key() + " on " + control.topic() + ")");
                }
            }
            err.flush();
            return 0;
        } catch (ToolException e) {
            return e.reportTo(err, "cancel");
        }
    }

    /** The cancellations the options name, one per request id, or the one of the batch or the metadata field. */
    List<Cancel> cancels(Instant at) {
        int kinds = (batch != null ? 1 : 0) + (metadata != null ? 1 : 0) + (requestIds.isEmpty() ? 0 : 1);
        if (kinds != 1) {
            throw ToolException.usage("name what to cancel: --batch ID, request IDs, or --metadata KEY=VALUE (one of them)");
        }
        if (batch != null) {
            if (!ChatRequest.isBatchId(batch)) {
                throw ToolException.usage("--batch: " + ChatRequest.batchProblem(batch));
            }
            return List.of(Cancel.ofBatch(batch, reason, at));
        }
        if (metadata != null) {
            int equals = metadata.indexOf('=');
            if (equals <= 0) {
                throw ToolException.usage("--metadata: KEY=VALUE, e.g. tenant=acme, got '" + metadata + "'");
            }
            return List.of(Cancel.ofMetadata(metadata.substring(0, equals), metadata.substring(equals + 1), reason, at));
        }
        List<Cancel> cancels = new ArrayList<>();
        for (String id : requestIds) {
            if (id.isBlank()) {
                throw ToolException.usage("a request id cannot be blank");
            }
            cancels.add(Cancel.ofRequest(id, reason, at));
        }
        return cancels;
    }
}
