package dev.tokenrelay.config;

import java.util.regex.Pattern;

/**
 * The rule for account ids and pool names.
 *
 * <p>An account id is the Kafka key of its attempts and appears in every outcome and log line, so
 * it is kept to characters that need no quoting anywhere.
 */
final class Ids {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private Ids() {}

    /** Returns {@code id} when valid, else throws naming {@code path}; {@code what} says what the id is for. */
    static String require(String id, String path, String what) {
        if (id == null) {
            throw new InvalidConfigException(path, "required");
        }
        if (!ID.matcher(id).matches()) {
            throw new InvalidConfigException(path, "'" + id + "' is not valid as " + what
                    + ": use letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters");
        }
        return id;
    }

    /** Whether {@code id} is valid. */
    static boolean isValid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
