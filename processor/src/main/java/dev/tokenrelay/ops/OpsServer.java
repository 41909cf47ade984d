package dev.tokenrelay.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations HTTP endpoint, on the JDK's own server: {@code GET /metrics} (Prometheus text
 * format 0.0.4), {@code GET /health/live} and {@code GET /health/ready} (200 or 503, with the
 * Streams state as JSON). Two daemon threads serve it, so a slow scraper never touches the stream
 * threads.
 */
final class OpsServer implements AutoCloseable {

    static final String METRICS = "/metrics";
    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI uri;

    private OpsServer(HttpServer server, ExecutorService executor, URI uri) {
        this.server = server;
        this.executor = executor;
        this.uri = uri;
    }

    /**
     * Listens on {@code host:port} (0: any free port).
     *
     * @throws OpsException when the address cannot be listened on
     */
    static OpsServer start(String host, int port, Supplier<String> scrape, Supplier<KafkaStreams.State> state) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (BindException e) {
            throw new OpsException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); set ops.port to a free port (0 = any free port, -1 = off)");
        } catch (IOException | RuntimeException e) {
            throw new OpsException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
        }
        if (server.getAddress().isUnresolved()) {
            server.stop(0);
            throw new OpsException("cannot listen on " + host + ":" + port + " (unknown host)");
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "tokenrelay-ops-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, scrape, state));
        server.start();
        InetSocketAddress bound = server.getAddress();
        String printable = bound.getAddress().getHostAddress();
        if (printable.contains(":")) {
            printable = "[" + printable + "]";
        }
        URI uri = URI.create("http://" + printable + ":" + bound.getPort());
        return new OpsServer(server, executor, uri);
    }

    /** Where the endpoint listens, e.g. {@code http://127.0.0.1:9464}. */
    URI uri() {
        return uri;
    }

    private static void handle(HttpExchange exchange, Supplier<String> scrape, Supplier<KafkaStreams.State> state)
            throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case METRICS -> respond(exchange, 200, PROMETHEUS_TEXT, scrape.get());
                case LIVE -> {
                    KafkaStreams.State now = state.get();
                    health(exchange, Health.live(now), now);
                }
                case READY -> {
                    KafkaStreams.State now = state.get();
                    health(exchange, Health.ready(now), now);
                }
                default -> respond(exchange, 404, "text/plain; charset=utf-8",
                        "not found; try " + METRICS + ", " + LIVE + " or " + READY + "\n");
            }
        } catch (IOException e) {
            LOG.debug("ops request failed: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.warn("ops request failed: {}", e.toString());
        }
    }

    private static void health(HttpExchange exchange, boolean up, KafkaStreams.State state) throws IOException {
        String body = "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"state\":\"" + state + "\"}\n";
        respond(exchange, up ? 200 : 503, "application/json", body);
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
