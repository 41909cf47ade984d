package dev.tokenrelay.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OAuth token endpoint on 127.0.0.1 that answers {@code refresh_token} grants, for accounts
 * configured with {@code oauth}. The n-th refresh issues the access token
 * {@code <prefix>access-<n>} and the refresh token {@code <prefix>refresh-<n+1>}, valid for the
 * lifetime given at start; every token is obviously fake.
 */
public final class TokenEndpoint implements AutoCloseable {

    private final HttpServer server;
    private final List<String> refreshForms = new CopyOnWriteArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile int refreshStatus = 200;

    private TokenEndpoint(String prefix, Duration lifetime) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/oauth/token", exchange -> {
            refreshForms.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            int status = refreshStatus;
            byte[] answer;
            if (status != 200) {
                answer = "{\"error\":\"invalid_grant\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                int n = issued.incrementAndGet();
                answer = ("{\"access_token\":\"" + prefix + "access-" + n + "\",\"refresh_token\":\"" + prefix + "refresh-"
                        + (n + 1) + "\",\"expires_in\":" + lifetime.toSeconds() + "}").getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(answer);
            }
        });
        server.start();
    }

    /** Starts an endpoint whose tokens begin with {@code prefix} and live for {@code lifetime}. */
    public static TokenEndpoint start(String prefix, Duration lifetime) {
        return new TokenEndpoint(prefix, lifetime);
    }

    /** The token URL, for {@code oauth.tokenUrl}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/oauth/token";
    }

    /** The form of every refresh asked so far, oldest first. */
    public List<String> refreshForms() {
        return List.copyOf(refreshForms);
    }

    /** How many access tokens were issued. */
    public int issued() {
        return issued.get();
    }

    /** From now on, refuses every refresh with {@code status} and {@code invalid_grant} (200 issues tokens again). */
    public void answerWith(int status) {
        refreshStatus = status;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
