package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to a credential, never the credential itself: {@code ${env:NAME}} (an environment
 * variable) or {@code ${file:PATH}} (a file whose trimmed content is the value).
 *
 * <p>A configuration file is copied, committed and pasted into tickets; a key written into it
 * leaks. Literal values are therefore rejected, and the rejection never repeats the text it was
 * given. {@link #toString()} is the reference, so a secret can be logged, printed or put in an
 * exception message without revealing anything. The value is read only by {@link #resolve()},
 * at the moment it is needed, so a rotated key file is picked up without a restart.
 */
public final class Secret {

    private static final String LITERAL_REJECTED = "put the key in an environment variable or a file and write "
            + "${env:NAME} or ${file:PATH}; literal keys are not accepted";

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):(.*)}", Pattern.DOTALL);
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private enum Kind { ENV, FILE }

    private final Kind kind;
    private final String target;

    private Secret(Kind kind, String target) {
        this.kind = kind;
        this.target = target;
    }

    /**
     * A secret held in the environment variable {@code name}.
     *
     * @throws IllegalArgumentException when {@code name} is not a valid variable name
     */
    public static Secret env(String name) {
        if (name == null || !ENV_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "in ${env:NAME}, NAME must be an environment variable name (letters, digits and '_', not starting with a digit)");
        }
        return new Secret(Kind.ENV, name);
    }

    /** A secret held in the file {@code path}; the value is its content without surrounding whitespace. */
    public static Secret file(Path path) {
        Objects.requireNonNull(path, "path");
        String text = path.toString();
        if (text.isBlank()) {
            throw new IllegalArgumentException("in ${file:PATH}, PATH must not be empty");
        }
        return new Secret(Kind.FILE, text);
    }

    /**
     * Reads {@code ${env:NAME}} or {@code ${file:PATH}}.
     *
     * @throws IllegalArgumentException for anything else; the message does not contain {@code reference}
     */
    public static Secret parse(String reference) {
        Matcher matcher = reference == null ? null : REFERENCE.matcher(reference.strip());
        if (matcher == null || !matcher.matches()) {
            throw new IllegalArgumentException(LITERAL_REJECTED);
        }
        if (matcher.group(1).equals("env")) {
            return env(matcher.group(2));
        }
        try {
            return file(Path.of(matcher.group(2)));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("in ${file:PATH}, PATH must be a valid file path");
        }
    }

    // YAML may hold a number or a mapping where the reference belongs; all of them are rejected
    // through parse() so that no Jackson message ever quotes the value.
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Secret fromYaml(Object value) {
        return parse(value instanceof String text ? text : null);
    }

    /** The value, read now from the process environment or the file; empty when unset, blank or unreadable. */
    public Optional<String> resolve() {
        return resolve(System::getenv);
    }

    /**
     * The value, with environment variables looked up through {@code environment} (a test's map,
     * for instance) instead of the process environment; files are read from the file system.
     * Empty when the variable is unset or blank, or the file is missing, unreadable or blank.
     */
    public Optional<String> resolve(Function<String, String> environment) {
        String value = switch (kind) {
            case ENV -> environment.apply(target);
            case FILE -> readFile();
        };
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(value.strip());
    }

    /**
     * Why this reference gives no usable value now, for people and logs, naming the variable or
     * the file and never a value: {@code variable OPENAI_API_KEY unset}, {@code variable
     * OPENAI_API_KEY empty}, {@code file /run/secrets/key missing}, {@code file ... unreadable},
     * {@code file ... empty}. Empty when {@link #resolve()} would give a value.
     */
    public Optional<String> problem() {
        return problem(System::getenv);
    }

    /** {@link #problem()}, with environment variables looked up through {@code environment}. */
    public Optional<String> problem(Function<String, String> environment) {
        if (kind == Kind.ENV) {
            String value = environment.apply(target);
            if (value == null) {
                return Optional.of("variable " + target + " unset");
            }
            return value.isBlank() ? Optional.of("variable " + target + " empty") : Optional.empty();
        }
        Path path;
        try {
            path = Path.of(target);
        } catch (InvalidPathException e) {
            return Optional.of("file " + target + " unreadable");
        }
        if (!Files.exists(path)) {
            return Optional.of("file " + target + " missing");
        }
        String content = readFile();
        if (content == null) {
            return Optional.of("file " + target + " unreadable");
        }
        return content.isBlank() ? Optional.of("file " + target + " empty") : Optional.empty();
    }

    private String readFile() {
        try {
            return Files.readString(Path.of(target), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            // Missing, unreadable or not UTF-8: the account has no usable credential, which
            // problem() says in words and account selection acts on.
            return null;
        }
    }

    /** The reference as written in the configuration: {@code ${env:NAME}} or {@code ${file:PATH}}. */
    @JsonValue
    public String reference() {
        return "${" + (kind == Kind.ENV ? "env" : "file") + ":" + target + "}";
    }

    /** The reference, never the value. */
    @Override
    public String toString() {
        return reference();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret that && kind == that.kind && target.equals(that.target);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, target);
    }
}
