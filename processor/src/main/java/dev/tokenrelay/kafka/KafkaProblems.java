package dev.tokenrelay.kafka;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Why the Kafka cluster cannot be used, said for people: which address, which cause (unknown host,
 * connection refused, no answer, authentication, authorization) and what to do. Used by {@code run}
 * at start and by the client tools, so both say the same thing; no message carries a setting's
 * value.
 */
public final class KafkaProblems {

    /** Where the security settings are, for the messages that point at them. */
    public static final String SECURITY_SETTINGS =
            "security.protocol, sasl.mechanism, sasl.jaas.config and ssl.* under kafka.streams";

    private static final Pattern HOST_PORT = Pattern.compile("(?:\\[([^\\]]+)]|([^:\\[\\]]+)):(\\d{1,5})");

    private KafkaProblems() {}

    /**
     * Tries a TCP connection to each bootstrap server in turn: the Kafka client itself would retry
     * until its timeout and then say only that it timed out, whatever the cause.
     *
     * @param origin where the address came from, e.g. {@code kafka.bootstrapServers in tokenrelay.yaml}
     * @return empty when one server accepts a connection; else why none does, for every server
     */
    public static Optional<String> unreachable(String bootstrapServers, String origin, Duration timeout) {
        String[] servers = bootstrapServers.split(",");
        List<String> causes = new ArrayList<>();
        boolean allUnknownHosts = true;
        for (String server : servers) {
            String cause = connect(server.strip(), timeout);
            if (cause == null) {
                return Optional.empty();
            }
            allUnknownHosts &= cause.equals("unknown host");
            causes.add(servers.length == 1 ? cause : server.strip() + " " + cause);
        }
        return Optional.of("cannot connect to Kafka at " + bootstrapServers + " (" + origin + "): "
                + String.join(", ", causes) + "; " + (allUnknownHosts ? "check the host name"
                        : "check that the broker is running and that the address is right"));
    }

    private static String connect(String server, Duration timeout) {
        Matcher matcher = HOST_PORT.matcher(server);
        if (!matcher.matches()) {
            return "not host:port";
        }
        String host = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, Integer.parseInt(matcher.group(3))),
                    (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            return null;
        } catch (UnknownHostException e) {
            return "unknown host";
        } catch (ConnectException e) {
            return "connection refused";
        } catch (SocketTimeoutException e) {
            return "no answer within " + timeout.toSeconds() + " s";
        } catch (IOException | IllegalArgumentException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /**
     * A Kafka client's failure, for people.
     *
     * @param error what the client threw (or the cause of an {@code ExecutionException})
     * @param bootstrapServers where the client was pointed
     * @param timeout how long the client waited, for the message about a timeout
     */
    public static String explain(Throwable error, String bootstrapServers, Duration timeout) {
        if (error instanceof AuthenticationException) {
            return "Kafka at " + bootstrapServers + " refused the credentials (" + rootMessage(error) + "): check "
                    + SECURITY_SETTINGS;
        }
        if (error instanceof AuthorizationException) {
            return "Kafka at " + bootstrapServers + " did not authorize the request (" + rootMessage(error)
                    + "): grant the principal the ACLs listed in the README (Deploying)";
        }
        if (error instanceof TimeoutException) {
            return noAnswer(bootstrapServers, timeout);
        }
        return "Kafka at " + bootstrapServers + ": " + rootMessage(error);
    }

    /**
     * The message for a broker that accepts connections but did not answer: most often a listener
     * that expects TLS or SASL from a client that speaks plaintext.
     */
    public static String noAnswer(String bootstrapServers, Duration timeout) {
        return "no answer from Kafka at " + bootstrapServers + " within " + timeout.toSeconds() + " s; it accepts "
                + "connections, so if its listener requires TLS or SASL, set " + SECURITY_SETTINGS;
    }

    /** The innermost message of {@code error}, or its class name when it has none. */
    public static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
