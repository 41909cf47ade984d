package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How an attempt's response is turned into an outcome, and when an account cools down
 * (docs/design.md, section 3).
 *
 * <p>A non-2xx status in {@code retryableStatuses} makes the attempt RETRYABLE; any other non-2xx
 * status is a final answer (a "non-2xx success"). A 2xx is SUCCESS unless a content check finds it
 * is a fake success.
 *
 * @param retryableStatuses statuses that send the request on to the next account; default 307,
 *     400, 401, 402, 403, 404, 408, 413, 422, 429 and 5xx
 * @param cooldownStatuses statuses that put the account in cooldown; default 401, 402, 403, 408,
 *     429 and 5xx
 * @param defaultCooldown the cooldown when the response names none (429's Retry-After does); default 15s
 * @param cooldownOnTransportError whether a connect error or a timeout (a reset connection is retried on another account without cooldown) cools the account; default true
 * @param checkEmptyCompletion whether a 2xx whose first choice stopped with no content at all is
 *     retryable; default true
 * @param checkErrorInSuccess whether a 2xx carrying an error object is retryable; default true
 * @param finalAnswerErrorCodes {@code error.code} values that make a non-2xx response a final
 *     answer even when its status is retryable, because every account would answer the same
 *     (context window, content policy); default context_length_exceeded,
 *     content_policy_violation, content_filter
 * @param disable the rule that disables an account after repeated failures and probes it later;
 *     {@code null} (the default): accounts are only ever cooled, never disabled
 */
public record OutcomePolicy(StatusSet retryableStatuses, StatusSet cooldownStatuses, Duration defaultCooldown,
        boolean cooldownOnTransportError, boolean checkEmptyCompletion, boolean checkErrorInSuccess,
        Set<String> finalAnswerErrorCodes, DisableRule disable) {

    /** Default {@link #retryableStatuses()}. */
    public static final StatusSet DEFAULT_RETRYABLE_STATUSES =
            StatusSet.parse(List.of(400, 401, 402, 403, 404, 408, 413, 422, 429, 307, "5xx"));
    /** Default {@link #cooldownStatuses()}. */
    public static final StatusSet DEFAULT_COOLDOWN_STATUSES = StatusSet.parse(List.of(401, 402, 403, 408, 429, "5xx"));
    /** Default {@link #defaultCooldown()}. */
    public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(15);
    /** Default {@link #finalAnswerErrorCodes()}. */
    public static final Set<String> DEFAULT_FINAL_ANSWER_ERROR_CODES =
            ordered(List.of("context_length_exceeded", "content_policy_violation", "content_filter"));

    private static final OutcomePolicy DEFAULTS = new OutcomePolicy(null, null, null, true, true, true, null, null);

    /** Applies the defaults for absent values and checks them. */
    public OutcomePolicy {
        retryableStatuses = retryableStatuses == null ? DEFAULT_RETRYABLE_STATUSES : retryableStatuses;
        cooldownStatuses = cooldownStatuses == null ? DEFAULT_COOLDOWN_STATUSES : cooldownStatuses;
        defaultCooldown = Settings.notNegative(defaultCooldown, DEFAULT_COOLDOWN, "defaultCooldown");
        if (finalAnswerErrorCodes == null) {
            finalAnswerErrorCodes = DEFAULT_FINAL_ANSWER_ERROR_CODES;
        } else {
            int i = 0;
            for (String code : finalAnswerErrorCodes) {
                if (code == null || code.isBlank()) {
                    throw new InvalidConfigException("finalAnswerErrorCodes" + ConfigPaths.index(i), "must not be blank");
                }
                i++;
            }
            finalAnswerErrorCodes = ordered(finalAnswerErrorCodes);
        }
    }

    /** The policy of docs/design.md, section 3. */
    public static OutcomePolicy defaults() {
        return DEFAULTS;
    }

    // Boxed booleans: Jackson hands an absent boolean over as false, and these default to true.
    // A list rather than a set, so that a code written twice is reported instead of merged.
    @JsonCreator
    private static OutcomePolicy fromYaml(@JsonProperty("retryableStatuses") StatusSet retryableStatuses,
            @JsonProperty("cooldownStatuses") StatusSet cooldownStatuses,
            @JsonProperty("defaultCooldown") Duration defaultCooldown,
            @JsonProperty("cooldownOnTransportError") Boolean cooldownOnTransportError,
            @JsonProperty("checkEmptyCompletion") Boolean checkEmptyCompletion,
            @JsonProperty("checkErrorInSuccess") Boolean checkErrorInSuccess,
            @JsonProperty("finalAnswerErrorCodes") List<String> finalAnswerErrorCodes,
            @JsonProperty("disable") DisableRule disable) {
        if (finalAnswerErrorCodes != null) {
            Set<String> seen = new LinkedHashSet<>();
            for (int i = 0; i < finalAnswerErrorCodes.size(); i++) {
                String code = finalAnswerErrorCodes.get(i);
                if (code != null && !seen.add(code)) {
                    throw new InvalidConfigException("finalAnswerErrorCodes" + ConfigPaths.index(i),
                            "'" + code + "' is listed twice");
                }
            }
        }
        return new OutcomePolicy(retryableStatuses, cooldownStatuses, defaultCooldown,
                cooldownOnTransportError == null || cooldownOnTransportError,
                checkEmptyCompletion == null || checkEmptyCompletion,
                checkErrorInSuccess == null || checkErrorInSuccess,
                finalAnswerErrorCodes == null ? null : new LinkedHashSet<>(finalAnswerErrorCodes), disable);
    }

    // Keeps the written order, so that the policy prints the way it was configured.
    private static Set<String> ordered(Collection<String> codes) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(codes));
    }
}
