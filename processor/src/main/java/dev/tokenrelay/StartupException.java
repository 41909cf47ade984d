package dev.tokenrelay;

/**
 * The processor cannot start, for a reason its operator can act on; the message says which and
 * what to do, for people, without a stack trace.
 */
public final class StartupException extends RuntimeException {

    private final boolean configurationError;

    private StartupException(String message, boolean configurationError) {
        super(message);
        this.configurationError = configurationError;
    }

    /** The configuration cannot work on this cluster (e.g. a topic already used by another deployment). */
    public static StartupException configuration(String message) {
        return new StartupException(message, true);
    }

    /** The cluster cannot be used now (unreachable, credentials refused, not authorized). */
    public static StartupException cluster(String message) {
        return new StartupException(message, false);
    }

    /** Whether the configuration must change, rather than the cluster or the network. */
    public boolean configurationError() {
        return configurationError;
    }
}
