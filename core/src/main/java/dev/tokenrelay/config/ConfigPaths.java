package dev.tokenrelay.config;

import java.util.regex.Pattern;

/**
 * Builds the dotted paths that configuration errors name: {@code pools.main.accounts[1]}.
 *
 * <p>One place for the notation, so that paths built by the records' own checks and paths read
 * from Jackson's exceptions look the same.
 */
final class ConfigPaths {

    // Keys outside this set (Kafka property names such as "num.stream.threads") are quoted,
    // otherwise the path could not be told apart from nested keys.
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private ConfigPaths() {}

    /** The path segment for a mapping key: {@code name}, or {@code ["a.b"]} when it needs quoting. */
    static String key(String name) {
        return PLAIN_KEY.matcher(name).matches() ? name : "[\"" + name + "\"]";
    }

    /** The path segment for a list index: {@code [2]}. */
    static String index(int index) {
        return "[" + index + "]";
    }

    /** Appends {@code child} (a key, an index, or a path of them) to {@code parent}; either may be empty. */
    static String join(String parent, String child) {
        if (parent.isEmpty()) {
            return child;
        }
        if (child.isEmpty()) {
            return parent;
        }
        return child.startsWith("[") ? parent + child : parent + "." + child;
    }
}
