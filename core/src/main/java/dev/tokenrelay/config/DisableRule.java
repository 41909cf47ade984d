package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * The optional rule that takes a failing account out of rotation (docs/design.md, section 3, account
 * health): after {@code afterFailures} failures counted in a window of {@code within} from the
 * first of them, with no success in between, the account is disabled. After {@code probeAfter} it
 * is probed: it takes one call at a time, the first success enables it again, and a failure
 * disables it for another {@code probeAfter}.
 *
 * <p>The failures counted are the outcomes that cool the account: a status in
 * {@code cooldownStatuses}, or a transport error when {@code cooldownOnTransportError} is on.
 *
 * @param afterFailures failures in one window that disable the account; required, at least 1
 * @param within the length of the window, from its first failure; default 1m
 * @param probeAfter how long a disabled account rests before a probe; default 5m
 */
public record DisableRule(int afterFailures, Duration within, Duration probeAfter) {

    /** Default {@link #within()}. */
    public static final Duration DEFAULT_WITHIN = Duration.ofMinutes(1);
    /** Default {@link #probeAfter()}. */
    public static final Duration DEFAULT_PROBE_AFTER = Duration.ofMinutes(5);

    /** Applies the defaults and checks every value. */
    public DisableRule {
        if (afterFailures < 1) {
            throw new InvalidConfigException("afterFailures", "must be at least 1, got " + afterFailures);
        }
        within = Settings.positive(within, DEFAULT_WITHIN, "within");
        probeAfter = Settings.positive(probeAfter, DEFAULT_PROBE_AFTER, "probeAfter");
    }

    // Boxed: an absent afterFailures must be reported, not read as 0.
    @JsonCreator
    private static DisableRule fromYaml(@JsonProperty("afterFailures") Integer afterFailures,
            @JsonProperty("within") Duration within, @JsonProperty("probeAfter") Duration probeAfter) {
        if (afterFailures == null) {
            throw new InvalidConfigException("afterFailures", "is required: how many failures disable the account");
        }
        return new DisableRule(afterFailures, within, probeAfter);
    }
}
