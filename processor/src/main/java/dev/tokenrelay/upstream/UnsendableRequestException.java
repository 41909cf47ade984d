package dev.tokenrelay.upstream;

/** The request cannot be sent to any account of this provider type: a FATAL outcome. */
public final class UnsendableRequestException extends Exception {

    public UnsendableRequestException(String message) {
        super(message);
    }
}
