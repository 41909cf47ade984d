package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable set of HTTP status codes, written as a list of codes and whole classes:
 * {@code [400, 429, 5xx]}.
 *
 * <p>Codes are 100 to 599. Sets holding the same codes are equal however they were written, so
 * {@code [5xx]} equals the list of the hundred codes 500 to 599.
 */
public final class StatusSet {

    private static final int FIRST = 100;
    private static final int LAST = 599;
    private static final Pattern CLASS = Pattern.compile("([1-5])[xX][xX]");

    // Bit i stands for status FIRST + i; never handed out, so the set stays immutable.
    private final BitSet bits;

    private StatusSet(BitSet bits) {
        this.bits = bits;
    }

    /**
     * The set of the given codes.
     *
     * @throws IllegalArgumentException when a code is outside 100..599
     */
    public static StatusSet of(int... statuses) {
        BitSet bits = new BitSet();
        for (int i = 0; i < statuses.length; i++) {
            add(bits, statuses[i], i);
        }
        return new StatusSet(bits);
    }

    /**
     * The set of the given items, each an {@link Integer} code or a class string such as
     * {@code "5xx"}.
     *
     * @throws IllegalArgumentException naming the index of the first item that is neither
     */
    public static StatusSet parse(Collection<?> items) {
        BitSet bits = new BitSet();
        int index = 0;
        for (Object item : items) {
            if (item instanceof Integer status) {
                add(bits, status, index);
            } else if (item instanceof String text && CLASS.matcher(text.strip()).matches()) {
                Matcher matcher = CLASS.matcher(text.strip());
                matcher.matches();
                int hundreds = Integer.parseInt(matcher.group(1)) * 100;
                bits.set(hundreds - FIRST, hundreds - FIRST + 100);
            } else {
                throw new InvalidConfigException(ConfigPaths.index(index),
                        "expected a status code (100..599) or a class such as 5xx, got " + describe(item));
            }
            index++;
        }
        return new StatusSet(bits);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static StatusSet fromYaml(List<Object> items) {
        if (items == null) {
            throw new InvalidConfigException("", "expected a list of status codes and classes such as 5xx");
        }
        return parse(items);
    }

    private static void add(BitSet bits, int status, int index) {
        if (status < FIRST || status > LAST) {
            throw new InvalidConfigException(ConfigPaths.index(index), "not an HTTP status code (100..599): " + status);
        }
        bits.set(status - FIRST);
    }

    private static String describe(Object item) {
        if (item == null) {
            return "null";
        }
        if (item instanceof String text) {
            return "'" + text + "'";
        }
        return item instanceof Number ? item.toString() : "a " + (item instanceof Collection ? "list" : "mapping");
    }

    /** Whether {@code status} is in the set; false for anything outside 100..599. */
    public boolean contains(int status) {
        return status >= FIRST && status <= LAST && bits.get(status - FIRST);
    }

    /** Whether the set holds no code. */
    public boolean isEmpty() {
        return bits.isEmpty();
    }

    /**
     * The set as it is written in YAML: ascending, a complete class as {@code "5xx"}, every other
     * code as an {@link Integer}.
     */
    @JsonValue
    public List<Object> asList() {
        List<Object> items = new ArrayList<>();
        for (int hundreds = FIRST; hundreds <= LAST; hundreds += 100) {
            int from = hundreds - FIRST;
            if (bits.get(from, from + 100).cardinality() == 100) {
                items.add(hundreds / 100 + "xx");
                continue;
            }
            for (int i = bits.nextSetBit(from); i >= 0 && i < from + 100; i = bits.nextSetBit(i + 1)) {
                items.add(i + FIRST);
            }
        }
        return List.copyOf(items);
    }

    /** Readable form, for instance {@code [307, 400, 429, 5xx]}. */
    @Override
    public String toString() {
        return asList().toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StatusSet that && bits.equals(that.bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }
}
