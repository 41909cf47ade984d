package dev.tokenrelay.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Reads a {@link TokenRelayConfig} from YAML, strictly: unknown keys, duplicate keys, quoted
 * numbers and booleans, fractions for whole numbers, durations without a unit and a second YAML
 * document are errors. {@code yes}, {@code no}, {@code on} and {@code off} are strings, not
 * booleans (YAML 1.2). An explicit null ({@code ~} or nothing after the colon) means the same as
 * leaving the key out.
 *
 * <p>A typo in a configuration key must not turn into a silently ignored setting, so nothing is
 * guessed. Every error becomes a {@link ConfigException} naming the file and the path of the
 * value, without a stack trace and without the value of any secret.
 */
public final class ConfigLoader {

    private static final String EXPECTED_TOP_LEVEL = "a mapping with at least 'accounts' and 'pools'";

    private static final ObjectMapper MAPPER = createMapper();

    private ConfigLoader() {}

    /**
     * Reads and checks the configuration in {@code file} (UTF-8).
     *
     * @throws ConfigException when the file cannot be read or the configuration is invalid
     */
    public static TokenRelayConfig load(Path file) throws ConfigException {
        String source = file.toString();
        String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(source, "", "file not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException(source, "", "permission denied");
        } catch (CharacterCodingException e) {
            throw new ConfigException(source, "", "not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(source, "", "cannot read: " + e.getMessage());
        }
        return parse(yaml, source);
    }

    /**
     * Reads and checks the configuration in {@code yaml}.
     *
     * @param sourceName where the text came from, for messages: usually the file name
     * @throws ConfigException when the configuration is invalid
     */
    public static TokenRelayConfig parse(String yaml, String sourceName) throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(sourceName, "sourceName");
        try (JsonParser parser = MAPPER.createParser(yaml)) {
            return read(parser, yaml, sourceName);
        } catch (IOException e) {
            throw new ConfigException(sourceName, "", "cannot read: " + e.getMessage());
        }
    }

    // Errors are translated while the parser is still open: its current token says what was
    // found where something else was expected, and closing it forgets that.
    private static TokenRelayConfig read(JsonParser parser, String yaml, String sourceName) throws ConfigException, IOException {
        try {
            // Checked before binding, because an empty document binds to null without an error.
            if (parser.nextToken() == null) {
                throw new ConfigException(sourceName, "", "the configuration is empty; expected " + EXPECTED_TOP_LEVEL);
            }
            TokenRelayConfig config = MAPPER.readValue(parser, TokenRelayConfig.class);
            if (config == null) {
                throw new ConfigException(sourceName, "", "the configuration is empty; expected " + EXPECTED_TOP_LEVEL);
            }
            return config;
        } catch (JacksonException e) {
            throw ConfigErrors.translate(sourceName, yaml, MAPPER, e);
        }
    }

    private static ObjectMapper createMapper() {
        return YAMLMapper.builder()
                // YAML 1.1 reads yes/no/on/off as booleans, which turns a model or account named
                // "no" into false; these are strings here, as in YAML 1.2.
                .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // Strings stay lenient on purpose: pass-through Kafka properties are strings, and
                // "num.stream.threads: 4" must not need quotes.
                .withCoercionConfig(LogicalType.Textual, config -> config
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.TryConvert)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.TryConvert))
                .addModule(new SimpleModule("tokenrelay-config").addDeserializer(Duration.class, new Durations.Deserializer()))
                .build();
    }
}
