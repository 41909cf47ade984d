package dev.tokenrelay.kafka;

import dev.tokenrelay.config.KafkaSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@code group.instance.id} a processor joins its consumer group with (Kafka's static group
 * membership), so that a processor restarted after a crash takes its partitions back at once.
 *
 * <p>A dynamic member that dies holds its partitions until the broker gives up on it, a session
 * timeout later (45 s by default), and only then does the group rebalance. A static member that
 * comes back under the same {@code group.instance.id} replaces its dead self at once, gets the same
 * partitions, and the group does not rebalance.
 *
 * <p>The id must therefore stay the same across restarts of one instance and differ between the
 * live instances of one application: two live members with one id fence each other. Unless
 * {@code kafka.instanceName} names it, it is the host name followed by a hash of the state
 * directory. A restart on the same host with the same state directory (the case where the local
 * state is still there to use) keeps the id; two instances on one host cannot share a state
 * directory (Kafka Streams locks it), so they get different ids.
 */
public final class StaticMembership {

    private static final int HOST_NAME_LENGTH = 100;

    private StaticMembership() {}

    /**
     * The name to join the group under; Kafka Streams appends {@code -N} for stream thread N.
     * Empty for dynamic membership: asked for with {@value KafkaSettings#DYNAMIC_MEMBERSHIP}, or
     * when no name is configured and the host has none.
     *
     * @param kafka    the Kafka settings, with the configured {@code instanceName} if any
     * @param stateDir the Kafka Streams state directory ({@code state.dir})
     * @param hostName this host's name, if it can be told
     */
    public static Optional<String> instanceName(KafkaSettings kafka, Path stateDir, Supplier<Optional<String>> hostName) {
        if (!kafka.staticMembership()) {
            return Optional.empty();
        }
        if (kafka.instanceName() != null) {
            return Optional.of(kafka.instanceName());
        }
        return hostName.get().map(host -> derived(host, stateDir));
    }

    /** {@code host-xxxxxxxx}: the host name in the characters Kafka accepts, then a hash of the state directory. */
    static String derived(String host, Path stateDir) {
        String safeHost = host.replaceAll("[^a-zA-Z0-9._-]", "-");
        if (safeHost.length() > HOST_NAME_LENGTH) {
            safeHost = safeHost.substring(0, HOST_NAME_LENGTH);
        }
        String dir = stateDir.toAbsolutePath().normalize().toString();
        return safeHost + "-" + HexFormat.of().formatHex(sha256(dir), 0, 4);
    }

    /**
     * This host's name as the operating system gives it (not a reverse lookup), else the
     * {@code HOSTNAME} variable; empty when neither tells.
     */
    public static Optional<String> localHostName() {
        try {
            return Optional.of(InetAddress.getLocalHost().getHostName()).filter(name -> !name.isBlank());
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).filter(name -> !name.isBlank());
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
