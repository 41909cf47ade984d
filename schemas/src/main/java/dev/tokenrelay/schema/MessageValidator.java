package dev.tokenrelay.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import com.networknt.schema.path.PathType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Checks topic values against their JSON Schemas (draft 2020-12, files next to this class on the
 * classpath) and reads chat requests into their record.
 *
 * <p>The schemas are read and compiled once, when the validator is built; a validator is immutable
 * and safe to share between threads, so one instance ({@link #instance()}) serves the whole
 * process. A failed check throws {@link InvalidMessageException} with the JSON pointer of one
 * error, chosen deterministically: the deepest one, and of those the first the schema reports.
 *
 * <p>The schemas have {@code $id}s under {@value #BASE_IRI}; that prefix is mapped to the classpath
 * folder {@link MessageType#RESOURCE_FOLDER}, so their {@code $ref}s to one another never leave the
 * jar. Format assertions are on: a {@code date-time} that is not RFC 3339 is an error.
 */
public final class MessageValidator {

    /** The base of every schema's {@code $id}. */
    public static final String BASE_IRI = "https://tokenrelay.dev/schema/";

    private static final String DATE_TIME_EXAMPLE = "2025-01-31T12:00:00Z";
    /**
     * Where a request's priority is described, wherever the request is nested (an attempt, a dead
     * letter): its errors get one message listing what is allowed, not the schema's anyOf details.
     */
    private static final String PRIORITY_SCHEMA = MessageType.CHAT_REQUEST.schemaResource() + "#/properties/priority";

    private final Map<MessageType, Schema> schemas;

    private MessageValidator(Map<MessageType, Schema> schemas) {
        this.schemas = schemas;
    }

    /** The shared validator, loaded on first use. */
    public static MessageValidator instance() {
        return Shared.INSTANCE;
    }

    /**
     * Reads and compiles every schema. Costly (hundreds of milliseconds): call it once and keep the
     * result, or use {@link #instance()}.
     *
     * @throws IllegalStateException when a schema file is missing or is not a valid schema
     */
    public static MessageValidator load() {
        SchemaRegistryConfig config = SchemaRegistryConfig.builder()
                .formatAssertionsEnabled(true)
                .pathType(PathType.JSON_POINTER)
                .locale(Locale.ROOT)
                .build();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(config)
                        .schemaIdResolvers(ids -> ids.mapPrefix(BASE_IRI, "classpath:" + MessageType.RESOURCE_FOLDER)));
        Map<MessageType, Schema> schemas = new EnumMap<>(MessageType.class);
        for (MessageType type : MessageType.values()) {
            try {
                Schema schema = registry.getSchema(SchemaLocation.of(BASE_IRI + type.schemaResource()));
                // Resolves every $ref now, so that validation never loads anything and never
                // mutates shared state.
                schema.initializeValidators();
                schemas.put(type, schema);
            } catch (SchemaException | IllegalArgumentException e) {
                throw new IllegalStateException("cannot load schema " + type.schemaResourcePath() + ": " + e.getMessage(), e);
            }
        }
        return new MessageValidator(Collections.unmodifiableMap(schemas));
    }

    /**
     * Checks {@code value} against the schema of {@code type}.
     *
     * @throws InvalidMessageException with the JSON pointer of the first error and a short reason
     */
    public void validate(MessageType type, JsonNode value) throws InvalidMessageException {
        Objects.requireNonNull(type, "type");
        if (value == null || value.isMissingNode()) {
            throw new InvalidMessageException("", "empty value, expected a JSON object");
        }
        List<Error> errors = schemas.get(type).validate(value);
        if (!errors.isEmpty()) {
            throw firstOf(errors);
        }
    }

    /** Whether {@code value} is valid against the schema of {@code type}. */
    public boolean isValid(MessageType type, JsonNode value) {
        try {
            validate(type, value);
            return true;
        } catch (InvalidMessageException e) {
            return false;
        }
    }

    /**
     * Reads a requests-topic value: parses it, checks it against {@code chat-request.schema.json}
     * and converts it to the record ({@code generation} defaults to 0).
     *
     * @throws InvalidMessageException when the value is empty, not JSON, or not a valid request
     */
    public ChatRequest readRequest(byte[] value) throws InvalidMessageException {
        return readRequest(parse(value));
    }

    /**
     * As {@link #readRequest(byte[])}, refusing objects and arrays nested deeper than
     * {@code maxNestingDepth} while the value is parsed.
     *
     * @throws JsonCodec.TooDeepException when the value is nested deeper than the limit
     */
    public ChatRequest readRequest(byte[] value, int maxNestingDepth) throws InvalidMessageException {
        if (value == null || value.length == 0) {
            throw new InvalidMessageException("", "empty value, expected a JSON object");
        }
        return readRequest(JsonCodec.parseTree(value, maxNestingDepth));
    }

    /** As {@link #readRequest(byte[])}, for a value already parsed with {@link JsonCodec#parseTree}. */
    public ChatRequest readRequest(JsonNode tree) throws InvalidMessageException {
        validate(MessageType.CHAT_REQUEST, tree);
        return requestOf(tree);
    }

    /**
     * The record of a request tree the schema accepted. It is built from the tree's own nodes:
     * data binding would copy the body node by node, and this runs once for every request.
     */
    private static ChatRequest requestOf(JsonNode tree) throws InvalidMessageException {
        JsonNode body = tree.get("body");
        if (!(body instanceof ObjectNode object)) {
            throw new InvalidMessageException("/body", "object expected");
        }
        Instant deadline = null;
        JsonNode deadlineText = tree.get("deadline");
        if (deadlineText != null) {
            try {
                deadline = InstantText.parse(deadlineText.asText().trim());
            } catch (DateTimeParseException e) {
                throw new InvalidMessageException("/deadline", "not an ISO-8601 instant");
            }
        }
        return new ChatRequest(tree.get("id").asText(), tree.path("generation").asInt(0), object,
                textOrNull(tree, "pool"), textOrNull(tree, "account"), deadline, tree.get("metadata"),
                Priority.parse(tree.get("priority")), textOrNull(tree, "batch"));
    }

    private static String textOrNull(JsonNode tree, String field) {
        JsonNode value = tree.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /**
     * Reads any topic value into its record: parse, validate against the record's schema, convert.
     *
     * @param recordType one of the records of {@link MessageType}
     */
    public <T> T read(byte[] value, Class<T> recordType) throws InvalidMessageException {
        return read(MessageType.forRecord(recordType), parse(value), recordType);
    }

    private <T> T read(MessageType type, JsonNode tree, Class<T> recordType) throws InvalidMessageException {
        validate(type, tree);
        return JsonCodec.convert(tree, recordType);
    }

    private static JsonNode parse(byte[] value) throws InvalidMessageException {
        if (value == null || value.length == 0) {
            throw new InvalidMessageException("", "empty value, expected a JSON object");
        }
        return JsonCodec.parseTree(value);
    }

    /** The deepest error; among equally deep ones, the first reported (schema order: stable). */
    private static InvalidMessageException firstOf(List<Error> errors) {
        Error first = null;
        String firstField = null;
        int firstDepth = -1;
        for (Error error : errors) {
            String field = fieldOf(error);
            int depth = depthOf(field);
            if (depth > firstDepth) {
                first = error;
                firstField = field;
                firstDepth = depth;
            }
        }
        return new InvalidMessageException(firstField, reasonOf(first));
    }

    /**
     * The JSON pointer of the value at fault. For a missing or an unexpected property that is the
     * property itself, not the object that lacks or has it.
     */
    private static String fieldOf(Error error) {
        StringBuilder pointer = new StringBuilder();
        NodePath path = error.getInstanceLocation();
        if (path != null) {
            for (int i = 0; i < path.getNameCount(); i++) {
                appendToken(pointer, String.valueOf(path.getElement(i)));
            }
        }
        if (namesProperty(error)) {
            appendToken(pointer, error.getProperty());
        }
        return pointer.toString();
    }

    private static boolean namesProperty(Error error) {
        if (error.getProperty() == null) {
            return false;
        }
        String keyword = error.getKeyword();
        return "required".equals(keyword)
                || "additionalProperties".equals(keyword)
                || "unevaluatedProperties".equals(keyword)
                || "dependentRequired".equals(keyword);
    }

    private static void appendToken(StringBuilder pointer, String token) {
        pointer.append('/');
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '~') {
                pointer.append("~0");
            } else if (c == '/') {
                pointer.append("~1");
            } else {
                pointer.append(c);
            }
        }
    }

    private static int depthOf(String pointer) {
        int depth = 0;
        for (int i = 0; i < pointer.length(); i++) {
            if (pointer.charAt(i) == '/') {
                depth++;
            }
        }
        return depth;
    }

    /**
     * A short reason that never repeats the offending value (it could be anything, even a secret),
     * but for a priority: a few characters of a mistyped name are what tells the sender what is wrong.
     */
    private static String reasonOf(Error error) {
        if (error.getSchemaLocation() != null && error.getSchemaLocation().toString().contains(PRIORITY_SCHEMA)) {
            JsonNode value = error.getInstanceNode();
            return Priority.problem(value == null ? "an invalid value" : Priority.describe(value));
        }
        String keyword = error.getKeyword() == null ? "" : error.getKeyword();
        switch (keyword) {
            case "required":
            case "dependentRequired":
                return "required property '" + error.getProperty() + "' is missing";
            case "additionalProperties":
            case "unevaluatedProperties":
                return "unknown property '" + error.getProperty() + "' is not allowed";
            case "format": {
                String format = error.getSchemaNode() == null ? "" : error.getSchemaNode().asText();
                return "date-time".equals(format)
                        ? "must be an RFC 3339 date-time, e.g. " + DATE_TIME_EXAMPLE
                        : "must be a valid " + format;
            }
            default:
                return error.getMessage();
        }
    }

    private static final class Shared {
        static final MessageValidator INSTANCE = load();
    }
}
