package dev.tokenrelay.schema;

/**
 * The kinds of topic values, each with its JSON Schema (a classpath resource next to this class)
 * and the record JsonCodec reads it into.
 */
public enum MessageType {
    CHAT_REQUEST("chat-request.schema.json", ChatRequest.class),
    ATTEMPT("attempt.schema.json", Attempt.class),
    ATTEMPT_OUTCOME("attempt-outcome.schema.json", AttemptOutcome.class),
    CHAT_RESULT("chat-result.schema.json", ChatResult.class),
    DEAD_LETTER("dead-letter.schema.json", DeadLetter.class),
    ACCOUNT_STATE("account-state.schema.json", AccountState.class),
    BATCH_STATUS("batch-status.schema.json", BatchStatus.class),
    BATCH_OPENED("batch-opened.schema.json", BatchOpened.class),
    CANCEL("cancel.schema.json", Cancel.class);

    /** The classpath folder of the schema files. */
    public static final String RESOURCE_FOLDER = "dev/tokenrelay/schema/";

    private final String schemaResource;
    private final Class<? extends Record> recordType;

    MessageType(String schemaResource, Class<? extends Record> recordType) {
        this.schemaResource = schemaResource;
        this.recordType = recordType;
    }

    /** The schema's file name, e.g. {@code chat-request.schema.json}. */
    public String schemaResource() {
        return schemaResource;
    }

    /** The schema's full classpath resource path. */
    public String schemaResourcePath() {
        return RESOURCE_FOLDER + schemaResource;
    }

    /** The record this message is read into. */
    public Class<? extends Record> recordType() {
        return recordType;
    }

    /** The message type whose record is {@code recordType}. */
    public static MessageType forRecord(Class<?> recordType) {
        for (MessageType type : values()) {
            if (type.recordType == recordType) {
                return type;
            }
        }
        throw new IllegalArgumentException("no message type for " + recordType.getName());
    }
}
