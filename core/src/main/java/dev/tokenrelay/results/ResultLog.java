package dev.tokenrelay.results;

import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.TrailEntry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line per final result, on the logger {@code dev.tokenrelay.results} (so it can be
 * turned down on its own): request id, generation, status, HTTP status, attempts, the accounts
 * tried and the latency, as key-value pairs. Never the request body, the answer or a credential:
 * only the error's type, not its message (which can quote the upstream).
 */
public final class ResultLog {

    /** The logger's name. */
    public static final String LOGGER = "dev.tokenrelay.results";

    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private ResultLog() {}

    public static void finished(ChatResult result) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        String status = result.status().name().toLowerCase(Locale.ROOT);
        List<TrailEntry> trail = result.attempts();
        var event = LOG.atInfo()
                .addKeyValue("requestId", result.id())
                .addKeyValue("generation", result.generation())
                .addKeyValue("status", status)
                .addKeyValue("httpStatus", result.httpStatus())
                .addKeyValue("attempts", trail.size())
                .addKeyValue("accounts", accountsPath(trail))
                .addKeyValue("latencyMs", latencyMs(result));
        if (result.error() != null) {
            event = event.addKeyValue("error", result.error().type());
        }
        event.log("request {}", status);
    }

    /** The accounts tried, in order: {@code first->second}; empty when no attempt was made. */
    static String accountsPath(List<TrailEntry> trail) {
        return trail.stream().map(TrailEntry::account).collect(Collectors.joining("->"));
    }

    /**
     * From the start of the first call to the result; 0 when no call was made. (The request's
     * arrival is not carried by the attempts, so time queued before the first call is not counted.)
     */
    static long latencyMs(ChatResult result) {
        if (result.completedAt() == null) {
            return 0;
        }
        return result.attempts().stream()
                .map(TrailEntry::startedAt)
                .filter(Objects::nonNull)
                .findFirst()
                .map(start -> Math.max(0, Duration.between(start, result.completedAt()).toMillis()))
                .orElse(0L);
    }
}
