package dev.tokenrelay.schema;

/**
 * A message that cannot be accepted, with the JSON pointer of the offending field and the reason.
 */
public class InvalidMessageException extends Exception {

    private final String field;
    private final String reason;

    public InvalidMessageException(String field, String reason) {
        super(field == null || field.isEmpty() ? reason : field + ": " + reason);
        this.field = field == null ? "" : field;
        this.reason = reason;
    }

    /** The JSON pointer of the field at fault, empty for the whole message. */
    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
