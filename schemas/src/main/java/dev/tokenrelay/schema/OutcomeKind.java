package dev.tokenrelay.schema;

/**
 * How one attempt ended (docs/design.md, section 3). Written to topics by name, never by ordinal.
 */
public enum OutcomeKind {
    /** A usable answer: a 2xx that passed the content checks, or a non-2xx status not in the retryable list. */
    SUCCESS,
    /** Worth trying on another account: a retryable status, a transport failure, or a fake success. */
    RETRYABLE,
    /** Nobody can serve this request; stop. */
    FATAL,
    /** The account has no usable credential; not counted as a call. */
    SKIPPED_AUTH
}
