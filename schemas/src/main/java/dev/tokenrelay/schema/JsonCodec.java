package dev.tokenrelay.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one codec for every topic value: JSON, instants as ISO-8601 text, enums by name, absent
 * fields left out. Decoding is strict (unknown properties and duplicate keys are errors), so a
 * message that drifted from its schema is noticed rather than half-read.
 */
public final class JsonCodec {

    private static final ObjectMapper MAPPER = build(StreamReadConstraints.defaults());

    // One mapper per nesting limit in use (in practice one): building a mapper is costly.
    private static final Map<Integer, ObjectMapper> LIMITED = new ConcurrentHashMap<>();

    private static ObjectMapper build(StreamReadConstraints constraints) {
        return JsonMapper.builder(JsonFactory.builder().streamReadConstraints(constraints).build())
                .addModule(new JavaTimeModule())
                // Registered after JavaTimeModule, so these take over Instant: same text, no formatter.
                .addModule(new SimpleModule("tokenrelay-instants")
                        .addSerializer(Instant.class, new InstantText.Serializer())
                        .addDeserializer(Instant.class, new InstantText.Deserializer()))
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                // Value and content inclusion both NON_NULL: what the deprecated serializationInclusion(NON_NULL) set.
                .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
                .build();
    }

    private JsonCodec() {}

    /** The shared, configured mapper; do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] encode(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    public static <T> T decode(byte[] bytes, Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Parses JSON text into a tree; throws {@link InvalidMessageException} when it is not JSON. */
    public static JsonNode parseTree(byte[] bytes) throws InvalidMessageException {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new InvalidMessageException("", "empty value, expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("", "not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses JSON text into a tree, refusing objects and arrays nested deeper than
     * {@code maxNestingDepth} (the outermost value counts as 1). The parser itself enforces the
     * limit as it reads, so a hostile document is refused before any tree is built and no
     * recursion ever goes that deep.
     *
     * @throws TooDeepException when the text is nested deeper than the limit
     * @throws InvalidMessageException when it is not JSON
     */
    public static JsonNode parseTree(byte[] bytes, int maxNestingDepth) throws InvalidMessageException {
        try {
            JsonNode node = limitedTo(maxNestingDepth).readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw new InvalidMessageException("", "empty value, expected a JSON object");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw new TooDeepException(maxNestingDepth);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException("", "not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code id} of a JSON object, read without building a tree: the top-level fields are
     * scanned in order and the scan stops at the id, so that a value too large or too deep to
     * accept can still be answered under its id. {@code null} when the text is not an object, has
     * no textual id, or breaks (not JSON, deeper than {@code maxNestingDepth}) before the id.
     */
    public static String scanId(byte[] bytes, int maxNestingDepth) {
        try (JsonParser parser = limitedTo(maxNestingDepth).createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("id".equals(name)) {
                    return value == JsonToken.VALUE_STRING && !parser.getText().isBlank() ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static ObjectMapper limitedTo(int maxNestingDepth) {
        return LIMITED.computeIfAbsent(maxNestingDepth,
                depth -> build(StreamReadConstraints.builder().maxNestingDepth(depth).build()));
    }

    /** A document nested deeper than the limit it was read with. */
    public static final class TooDeepException extends InvalidMessageException {

        private final int maxNestingDepth;

        TooDeepException(int maxNestingDepth) {
            super("", "nested deeper than " + maxNestingDepth + " levels");
            this.maxNestingDepth = maxNestingDepth;
        }

        /** The limit the document broke. */
        public int maxNestingDepth() {
            return maxNestingDepth;
        }
    }

    public static <T> T convert(JsonNode node, Class<T> type) throws InvalidMessageException {
        try {
            return MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new InvalidMessageException(pathOf(e), e.getOriginalMessage());
        }
    }

    private static String pathOf(JsonProcessingException e) {
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
            StringBuilder path = new StringBuilder();
            for (var ref : mapping.getPath()) {
                path.append('/').append(ref.getFieldName() != null ? ref.getFieldName() : ref.getIndex());
            }
            return path.toString();
        }
        return "";
    }
}
