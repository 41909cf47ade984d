package dev.tokenrelay.ops;

/** The operations endpoint could not be started; the message is meant for the person running the processor. */
public final class OpsException extends RuntimeException {

    public OpsException(String message) {
        super("ops: " + message);
    }
}
