package dev.tokenrelay.intake;

import dev.tokenrelay.accounts.AccountSelector;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.Choice;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.accounts.ModelRouting;
import dev.tokenrelay.config.RequestLimits;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.kafka.StoreAccountStates;
import dev.tokenrelay.kafka.Topics;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.ResultLog;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.MessageValidator;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake stage: reads a raw request, validates it against its schema, drops a submission
 * already seen, picks the pool and the first account, and emits the first attempt keyed by that
 * account. Input that cannot be accepted gets a rejected result (when an id can be found) and
 * always a dead letter holding the original bytes (unless they are too large to copy); the stage
 * never stops on bad input.
 *
 * <p>The checks run cheapest first, so hostile input costs little: the size of the value against
 * {@link RequestLimits#maxRequestBytes()} before it is parsed, the nesting depth while it is parsed,
 * then the schema, the record key (it must be the request id), and the size of the metadata.
 */
public final class IntakeProcessor implements Processor<String, byte[], String, Emission> {

    /** Submissions seen, in a window store so ids expire after the retention instead of piling up. */
    public static final String SEEN_STORE = "intake-seen-requests";

    private static final Logger LOG = LoggerFactory.getLogger(IntakeProcessor.class);
    private static final MessageValidator VALIDATOR = MessageValidator.instance();
    /** Room in a dead letter beyond the request limit: reason, source, id, field names. */
    private static final int DEAD_LETTER_ROOM = 32 * 1024;

    private final TokenRelayConfig config;
    private final CredentialCheck credentials;
    private final AccountSelector selector;
    private final ModelRouting models;
    private final Duration retention;
    private final RequestLimits limits;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private ProcessorContext<String, Emission> context;
    private WindowStore<String, Long> seen;
    private AccountStates states;

    /**
     * The intake stage with the store it owns, for {@code KStream#process}.
     *
     * @param credentials which accounts have no usable credential: they are not chosen
     * @param clock       the time requests are admitted at: deadlines and dedupe windows count from it
     */
    public static ProcessorSupplier<String, byte[], String, Emission> supplier(TokenRelayConfig config,
            CredentialCheck credentials, PipelineMetrics metrics, Clock clock) {
        StoreBuilder<WindowStore<String, Long>> seen = Stores.windowStoreBuilder(
                Stores.persistentWindowStore(SEEN_STORE, config.processor().dedupeRetention(), Duration.ofMillis(1),
                        false),
                Topics.KEYS, Serdes.Long());
        return new ProcessorSupplier<>() {
            @Override
            public Processor<String, byte[], String, Emission> get() {
                return new IntakeProcessor(config, credentials, metrics, clock);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(seen);
            }
        };
    }

    IntakeProcessor(TokenRelayConfig config, CredentialCheck credentials, PipelineMetrics metrics, Clock clock) {
        this.config = config;
        this.credentials = credentials;
        this.selector = new AccountSelector(config, credentials);
        this.models = new ModelRouting(config);
        this.retention = config.processor().dedupeRetention();
        this.limits = config.processor().limits();
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Emission> context) {
        this.context = context;
        this.seen = context.getStateStore(SEEN_STORE);
        this.states = new StoreAccountStates(context.getStateStore(StoreAccountStates.STORE));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Instant now = Instant.ofEpochMilli(clock.millis());
        byte[] value = record.value() == null ? new byte[0] : record.value();
        String tooLarge = limits.requestTooLarge(value.length);
        if (tooLarge != null) {
            reject(record, idOf(record), "invalid request: " + tooLarge, now);
            return;
        }
        ChatRequest request;
        try {
            request = VALIDATOR.readRequest(value, limits.maxNestingDepth());
        } catch (JsonCodec.TooDeepException e) {
            reject(record, idOf(record), "invalid request: " + limits.tooDeep(), now);
            return;
        } catch (InvalidMessageException e) {
            reject(record, idOf(record), "invalid request: " + e.getMessage(), now);
            return;
        }
        String keyProblem = keyProblem(record.key(), request.id());
        if (keyProblem != null) {
            reject(record, request.id(), "invalid request: " + keyProblem, now);
            return;
        }
        if (request.metadata() != null) {
            String metadataTooLarge = limits.metadataTooLarge(JsonCodec.encode(request.metadata()).length);
            if (metadataTooLarge != null) {
                reject(record, request.id(), "invalid request: " + metadataTooLarge, now);
                return;
            }
        }
        if (alreadySeen(request, now)) {
            LOG.atDebug().addKeyValue("requestId", request.id()).addKeyValue("generation", request.generation())
                    .log("duplicate submission ignored");
            return;
        }
        seen.put(request.submissionKey(), now.toEpochMilli(), now.toEpochMilli());
        accept(request, now).forEach(emission -> forward(record, emission.key(), emission));
    }

    private void forward(Record<String, byte[]> record, String key, Emission emission) {
        if (emission instanceof Emission.ToResults toResults) {
            metrics.resultEmitted("intake", toResults.result());
            if (config.ops().resultLog()) {
                ResultLog.finished(toResults.result());
            }
        }
        context.forward(record.withKey(key).withValue(emission));
    }

    private List<Emission> accept(ChatRequest request, Instant now) {
        String problem = unroutable(request);
        if (problem != null) {
            ChatResult result = Results.failed(request, ResultStatus.REJECTED, 400,
                    ErrorInfo.of("invalid_request", problem), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        if (request.deadline() != null && !request.deadline().isAfter(now)) {
            ChatResult result = Results.failed(request, ResultStatus.EXPIRED, 504,
                    ErrorInfo.of("expired", "the deadline " + request.deadline() + " had passed on arrival"), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        String pool = request.pool() != null ? request.pool() : config.defaultPool();
        String unserved = unservedModel(request, pool);
        if (unserved != null) {
            ChatResult result = Results.failed(request, ResultStatus.FAILED, 404,
                    ErrorInfo.of("model_not_found", unserved), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        Instant deadline = request.deadline() != null ? request.deadline()
                : now.plus(config.processor().defaultDeadline());
        if (request.pinned()) {
            Optional<String> missing = credentials.missing(request.account());
            if (missing.isPresent()) {
                ChatResult result = Results.failed(request, ResultStatus.FAILED, 503, ErrorInfo.of(
                        "no_account_available", AccountSelector.pinnedNoCredentialMessage(request.account(),
                                missing.get())), List.of(), now);
                return Results.unsuccessful(request, result, now);
            }
            // A cooling pinned account is waited for by the dispatch stage that owns it.
            return List.of(new Emission.ToAttempts(
                    new Attempt(request, 1, request.account(), pool, List.of(), null, now, deadline, null)));
        }
        Choice choice = selector.chooseOrWait(pool, models.unserved(request.model()), request.id(), states, now,
                deadline);
        if (choice instanceof Choice.Chosen chosen) {
            return List.of(new Emission.ToAttempts(new Attempt(request, 1, chosen.account(), chosen.pool(), List.of(),
                    null, now, deadline, chosen.notBefore())));
        }
        Choice.NoneLeft none = (Choice.NoneLeft) choice;
        String message;
        if (!none.allCooling() && !none.withoutCredential().isEmpty()) {
            message = selector.noCredentialMessage(pool, none.withoutCredential());
        } else {
            message = "every account of pool '" + pool + "' and its fallbacks is disabled or cooling down past the deadline"
                    + (none.withoutCredential().isEmpty() ? ""
                            : " or has no usable credential: " + none.withoutCredentialText());
        }
        ChatResult result = Results.failed(request, ResultStatus.FAILED, 503,
                ErrorInfo.of("no_account_available", message), List.of(), now);
        return Results.unsuccessful(request, result, now);
    }

    /** Why no account the request may go to serves its model, or {@code null} when one does. */
    private String unservedModel(ChatRequest request, String pool) {
        String model = request.model();
        if (request.pinned()) {
            return config.account(request.account()).servesModel(model) ? null
                    : "account '" + request.account() + "' does not serve model '" + model + "'";
        }
        return models.servedIn(pool, model) ? null
                : "no account of pool '" + pool + "' or its fallbacks serves model '" + model + "'";
    }

    /** Why the request names a pool or account that does not exist, or {@code null}. */
    private String unroutable(ChatRequest request) {
        if (request.pool() != null && !config.pools().containsKey(request.pool())) {
            return "/pool: unknown pool '" + request.pool() + "' (known: " + config.pools().keySet() + ")";
        }
        if (request.account() != null && !config.accounts().containsKey(request.account())) {
            return "/account: unknown account '" + request.account() + "'";
        }
        return null;
    }

    /**
     * Why the record key breaks the rule that it is the request id, or {@code null}. A keyless
     * record would land on a partition of its own choosing, so two submissions of one id could be
     * read by two tasks at once and both be answered: the key is required, not just checked.
     */
    static String keyProblem(String key, String id) {
        if (key == null) {
            return "the record has no key; its key must be the request id '" + id + "'";
        }
        return key.equals(id) ? null : "the record key '" + key + "' is not the request id '" + id + "'";
    }

    private boolean alreadySeen(ChatRequest request, Instant now) {
        long to = now.toEpochMilli();
        long from = Math.max(0, to - retention.toMillis());
        try (WindowStoreIterator<Long> hits = seen.fetch(request.submissionKey(), from, to)) {
            return hits.hasNext();
        }
    }

    private void reject(Record<String, byte[]> record, String id, String reason, Instant now) {
        LOG.atWarn().addKeyValue("requestId", id).log("request rejected: {}", reason);
        DeadLetter.SourceRecord source = context.recordMetadata()
                .map(IntakeProcessor::sourceOf)
                .orElse(null);
        byte[] original = record.value() != null && record.value().length > limits.maxRequestBytes() ? null
                : record.value();
        DeadLetter deadLetter = Results.unreadable(id, reason, original, source, now, deadLetterBudget(),
                record.value() == null ? 0 : record.value().length);
        String key = id != null ? id : record.key();
        if (id != null) {
            ChatResult result = Results.rejected(id, 0, null, ErrorInfo.of("invalid_request", reason), now);
            forward(record, id, new Emission.ToResults(result));
        }
        forward(record, key, new Emission.ToDeadLetter(key, deadLetter));
    }

    private static DeadLetter.SourceRecord sourceOf(RecordMetadata metadata) {
        return new DeadLetter.SourceRecord(metadata.topic(), metadata.partition(), metadata.offset());
    }

    /**
     * The largest dead letter of unreadable input, encoded: the largest request accepted plus room
     * for the reason and the source, so that it never outgrows what the request limit lets through.
     */
    private int deadLetterBudget() {
        return limits.maxRequestBytes() + DEAD_LETTER_ROOM;
    }

    /**
     * The request id of unreadable input: the {@code id} field if the value is a JSON object with
     * one before whatever is wrong with it, else the key.
     */
    private String idOf(Record<String, byte[]> record) {
        if (record.value() != null) {
            String id = JsonCodec.scanId(record.value(), limits.maxNestingDepth());
            if (id != null) {
                return id;
            }
        }
        return record.key() == null || record.key().isBlank() ? null : record.key();
    }
}
