package dev.tokenrelay.config;

import java.util.function.Supplier;

/**
 * A configuration value that a record's compact constructor rejected, with the path of the value
 * relative to that record.
 *
 * <p>The path is kept apart from the reason so that an enclosing record, or the loader, can
 * prefix it with where the record itself sits: {@code baseUrl} thrown by an account becomes
 * {@code accounts.a.baseUrl} in the message the user sees. Callers that construct records in code
 * see an ordinary {@link IllegalArgumentException} whose message is {@code "path: reason"}.
 */
final class InvalidConfigException extends IllegalArgumentException {

    private final String path;
    private final String reason;

    InvalidConfigException(String path, String reason) {
        super(path.isEmpty() ? reason : path + ": " + reason);
        this.path = path;
        this.reason = reason;
    }

    /** The path of the rejected value relative to the record that rejected it; empty for the record itself. */
    String path() {
        return path;
    }

    /** What is wrong, without the path. */
    String reason() {
        return reason;
    }

    /** The same problem seen from the record that holds the rejecting one under {@code parent}. */
    InvalidConfigException under(String parent) {
        return new InvalidConfigException(ConfigPaths.join(parent, path), reason);
    }

    /** Runs {@code build} and, when it rejects a value, re-throws with the path prefixed by {@code parent}. */
    static <T> T within(String parent, Supplier<T> build) {
        try {
            return build.get();
        } catch (InvalidConfigException e) {
            throw e.under(parent);
        }
    }
}
