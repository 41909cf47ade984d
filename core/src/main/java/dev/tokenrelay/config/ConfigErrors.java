package dev.tokenrelay.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Turns Jackson's exceptions into {@link ConfigException}s a person can act on: the path of the
 * value in the YAML and a short reason, no class names, no stack trace.
 *
 * <p>Secrets: the values a message may quote are enum names, numbers, durations, URLs and ids.
 * {@link Secret} rejects literals itself without quoting them, and Kafka pass-through values are
 * strings that never fail to bind, so nothing here repeats a credential.
 */
final class ConfigErrors {

    private ConfigErrors() {}

    /**
     * The {@link ConfigException} for a failure to read or bind the configuration.
     *
     * @param source where the YAML came from, for the message
     * @param yaml the text that failed, read again to find unknown keys that Jackson reports too late
     * @param mapper the mapper that failed
     */
    static ConfigException translate(String source, String yaml, ObjectMapper mapper, JacksonException e) {
        MarkedYAMLException syntax = causeOfType(e, MarkedYAMLException.class);
        if (syntax != null) {
            return yamlSyntax(source, syntax);
        }
        StreamReadException read = causeOfType(e, StreamReadException.class);
        if (read != null) {
            return streamRead(source, read);
        }
        if (e instanceof ValueInstantiationException failed) {
            ConfigException unknown = unknownKeyIn(source, yaml, mapper, failed);
            if (unknown != null) {
                return unknown;
            }
        }
        if (e instanceof JsonMappingException mapping) {
            return mapping(source, mapping);
        }
        return new ConfigException(source, "", "cannot read the configuration: " + e.getOriginalMessage());
    }

    private static ConfigException yamlSyntax(String source, MarkedYAMLException e) {
        // Only the problem and its position: SnakeYAML's full message quotes the offending line,
        // which may be the line with a key on it.
        Mark mark = e.getProblemMark();
        String where = mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
        String problem = e.getProblem() == null ? "not valid YAML" : "not valid YAML: " + e.getProblem();
        return new ConfigException(source, where, problem);
    }

    private static ConfigException streamRead(String source, StreamReadException e) {
        JsonParser parser = e.getProcessor();
        String path = parser == null ? "" : pathOf(parser.getParsingContext());
        String message = e.getOriginalMessage();
        if (message != null && message.startsWith("Duplicate field")) {
            return new ConfigException(source, path, "duplicate key");
        }
        return new ConfigException(source, path, "not valid YAML: " + message);
    }

    // For an object bound through a creator, as the records are, Jackson buffers unknown keys and
    // reports them only after the creator has run; when the creator rejects the object first, the
    // user would read "accounts: required" about a file that says "acounts". The unknown key is
    // the likelier cause, so it is looked for in the YAML and reported instead.
    private static ConfigException unknownKeyIn(String source, String yaml, ObjectMapper mapper,
            ValueInstantiationException e) {
        Class<?> type = e.getType() == null ? null : e.getType().getRawClass();
        if (type == null || !type.isRecord()) {
            return null;
        }
        JsonNode node;
        try {
            node = mapper.readTree(yaml);
        } catch (JacksonException unreadable) {
            return null;
        }
        for (JsonMappingException.Reference reference : e.getPath()) {
            node = node == null ? null
                    : reference.getFieldName() != null ? node.get(reference.getFieldName()) : node.get(reference.getIndex());
        }
        if (node == null || !node.isObject()) {
            return null;
        }
        List<Object> known = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            known.add(component.getName());
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                return new ConfigException(source, ConfigPaths.join(pathOf(e.getPath()), ConfigPaths.key(name)),
                        "unknown key" + known(type, known));
            }
        }
        return null;
    }

    private static ConfigException mapping(String source, JsonMappingException e) {
        String path = pathOf(e.getPath());
        if (e instanceof UnrecognizedPropertyException unknown) {
            return new ConfigException(source, path,
                    "unknown key" + known(unknown.getReferringClass(), unknown.getKnownPropertyIds()));
        }
        if (e instanceof ValueInstantiationException) {
            Throwable cause = e.getCause();
            if (cause instanceof InvalidConfigException invalid) {
                return new ConfigException(source, ConfigPaths.join(path, invalid.path()), invalid.reason());
            }
            if (cause instanceof IllegalArgumentException) {
                return new ConfigException(source, path, cause.getMessage());
            }
            return new ConfigException(source, path, "invalid value");
        }
        if (e instanceof InvalidFormatException format) {
            return new ConfigException(source, path, invalidFormat(format));
        }
        if (e instanceof InvalidDefinitionException) {
            // A mistake in this package's annotations, not in the user's file.
            return new ConfigException(source, path, "internal error reading the configuration: " + e.getOriginalMessage());
        }
        if (e instanceof MismatchedInputException mismatch) {
            return new ConfigException(source, path, mismatch(mismatch));
        }
        return new ConfigException(source, path, e.getOriginalMessage());
    }

    private static String invalidFormat(InvalidFormatException e) {
        Class<?> target = e.getTargetType();
        if (target == Duration.class) {
            return "expected " + Durations.FORMS + ", got '" + e.getValue() + "'";
        }
        if (target != null && target.isEnum()) {
            return "unknown value '" + e.getValue() + "' (allowed: " + String.join(", ", enumNames(target)) + ")";
        }
        Object value = e.getValue();
        String got = value instanceof String text ? "'" + text + "'" + quotedHint(target) : String.valueOf(value);
        return "expected " + describe(target) + ", got " + got;
    }

    private static String mismatch(MismatchedInputException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (message.startsWith("Trailing token")) {
            return "more than one YAML document; write the whole configuration as one";
        }
        if (e.getProcessor() instanceof JsonParser parser && parser.currentToken() == JsonToken.VALUE_NULL) {
            return "must have a value";
        }
        if (e.getPath().isEmpty() && e.getTargetType() == TokenRelayConfig.class) {
            return "expected a mapping with at least 'accounts' and 'pools'";
        }
        return "expected " + describe(e.getTargetType()) + got(e);
    }

    // What was found instead, from the parser's current token. Never reached for secrets and
    // pass-through values: both accept any scalar.
    private static String got(MismatchedInputException e) {
        if (!(e.getProcessor() instanceof JsonParser parser) || parser.currentToken() == null) {
            return "";
        }
        try {
            return switch (parser.currentToken()) {
                case VALUE_STRING -> ", got '" + parser.getText() + "'" + quotedHint(e.getTargetType());
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> ", got " + parser.getText();
                case START_OBJECT, FIELD_NAME, END_OBJECT -> ", got a mapping";
                case START_ARRAY, END_ARRAY -> ", got a list";
                default -> "";
            };
        } catch (IOException ignored) {
            return "";
        }
    }

    private static String quotedHint(Class<?> target) {
        boolean scalar = target != null && (target.isPrimitive() || Number.class.isAssignableFrom(target)
                || target == Boolean.class);
        return scalar ? " (a string; numbers and booleans are written without quotes)" : "";
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (type == int.class || type == Integer.class || type == short.class || type == Short.class
                || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Duration.class) {
            return Durations.FORMS;
        }
        if (type == URI.class) {
            return "a URL";
        }
        if (type == Path.class) {
            return "a file path";
        }
        if (type == StatusSet.class) {
            return "a list of status codes and classes such as 5xx";
        }
        if (type == PoolMember.class) {
            return "an account id, or a mapping with account and priority";
        }
        if (type == Secret.class) {
            return "${env:NAME} or ${file:PATH}";
        }
        if (type.isEnum()) {
            return "one of " + String.join(", ", enumNames(type));
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping";
        }
        return "a " + type.getSimpleName();
    }

    private static List<String> enumNames(Class<?> type) {
        List<String> names = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            String name = ((Enum<?>) constant).name();
            try {
                JsonProperty property = type.getField(name).getAnnotation(JsonProperty.class);
                names.add(property != null ? property.value() : name);
            } catch (NoSuchFieldException e) {
                names.add(name);
            }
        }
        return names;
    }

    private static String known(Class<?> owner, Collection<Object> ids) {
        if (ids == null || ids.isEmpty()) {
            return "";
        }
        // Jackson's set has no useful order; the record's own order is the one the docs use.
        List<String> names = new ArrayList<>();
        if (owner != null && owner.isRecord()) {
            for (RecordComponent component : owner.getRecordComponents()) {
                if (ids.contains(component.getName())) {
                    names.add(component.getName());
                }
            }
        }
        ids.stream().map(String::valueOf).filter(id -> !names.contains(id)).sorted().forEach(names::add);
        return " (known: " + String.join(", ", names) + ")";
    }

    private static String pathOf(List<JsonMappingException.Reference> references) {
        String path = "";
        for (JsonMappingException.Reference reference : references) {
            if (reference.getFieldName() != null) {
                path = ConfigPaths.join(path, ConfigPaths.key(reference.getFieldName()));
            } else if (reference.getIndex() >= 0) {
                path = ConfigPaths.join(path, ConfigPaths.index(reference.getIndex()));
            }
        }
        return path;
    }

    private static String pathOf(JsonStreamContext context) {
        List<String> segments = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inObject() && c.getCurrentName() != null) {
                segments.add(0, ConfigPaths.key(c.getCurrentName()));
            } else if (c.inArray()) {
                segments.add(0, ConfigPaths.index(Math.max(0, c.getCurrentIndex())));
            }
        }
        String path = "";
        for (String segment : segments) {
            path = ConfigPaths.join(path, segment);
        }
        return path;
    }

    private static <T extends Throwable> T causeOfType(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
