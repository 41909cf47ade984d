package dev.tokenrelay.config;

import java.util.Map;

/**
 * Model name patterns as accounts list them: an exact name, a prefix ending in {@code *}, or
 * {@code *} alone. An exact name beats a prefix, a longer prefix beats a shorter one, and
 * {@code *} matches what nothing else does.
 */
public final class ModelNames {

    private ModelNames() {}

    /** Whether {@code pattern} matches {@code model}. */
    public static boolean matches(String pattern, String model) {
        if (pattern.endsWith("*")) {
            return model.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(model);
    }

    /** The value of the best-matching key of {@code patterns} for {@code model}, or {@code null}. */
    public static <V> V bestMatch(Map<String, V> patterns, String model) {
        V exact = patterns.get(model);
        if (exact != null) {
            return exact;
        }
        String best = null;
        for (String pattern : patterns.keySet()) {
            if (pattern.endsWith("*") && matches(pattern, model)
                    && (best == null || pattern.length() > best.length())) {
                best = pattern;
            }
        }
        return best == null ? null : patterns.get(best);
    }
}
