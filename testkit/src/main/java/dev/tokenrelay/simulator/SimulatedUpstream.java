package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.bootstrap.AsyncServerBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncServer;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOSessionListener;
import org.apache.hc.core5.reactor.ListenerEndpoint;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated LLM upstream on 127.0.0.1 whose answers are scripted per account, for tests, the
 * {@code demo} command and benchmarks.
 *
 * <p>Each account has its own base URL, {@code http://127.0.0.1:{port}/accounts/{accountId}/v1}, and
 * the server answers three {@linkplain Endpoint endpoints} under it: OpenAI chat completions
 * ({@code POST {baseUrl}/chat/completions}, streamed when the request asks), the OpenAI Responses API
 * as Codex uses it ({@code POST {baseUrl}/responses}, streamed) and the Anthropic Messages API
 * ({@code POST {baseUrl}/messages}, i.e. {@code {rootUrl}/v1/messages}). All three play the same
 * script, each rendering a {@link Behaviour} in its own format, and all count as calls of the
 * account. An account exists once it has been {@linkplain #script scripted}; calls to any other
 * account get a 404 in the endpoint's error format.
 *
 * <p>The server is HttpCore 5's asynchronous HTTP/1.1 server: open requests cost no thread, and
 * latencies are served by a single scheduler thread, so thousands of slow calls can be held at once.
 * It keeps every call for tests to read back, or, started with {@link Recording#COUNTS}, only the
 * counters. All methods are thread-safe.
 *
 * <pre>{@code
 * try (SimulatedUpstream upstream = SimulatedUpstream.start()) {
 *     upstream.script("acct-1", Behaviour.status(503), Behaviour.reply("hi").after(Duration.ofMillis(50)));
 *     String baseUrl = upstream.baseUrl("acct-1");
 *     ...
 * }
 * }</pre>
 */
public final class SimulatedUpstream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SimulatedUpstream.class);

    // Sized for bursts of a few thousand concurrent connections on loopback: two reactor threads are
    // plenty for tiny bodies, and the backlog absorbs connection storms before accept catches up.
    private static final int IO_THREADS = 2;
    private static final int BACKLOG = 8192;
    // Idle connections and unanswered exchanges are dropped after this, so nothing leaks forever.
    private static final Timeout IDLE_TIMEOUT = Timeout.ofMinutes(5);
    private static final long START_TIMEOUT_SECONDS = 10;

    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<Endpoint, Dialect> dialects = new EnumMap<>(Map.of(
            Endpoint.CHAT, new ChatDialect(mapper),
            Endpoint.RESPONSES, new ResponsesDialect(mapper),
            Endpoint.MESSAGES, new MessagesDialect(mapper)));
    private final Map<String, SimulatedAccount> accounts = new ConcurrentHashMap<>();
    private final Map<SocketAddress, IOSession> connections = new ConcurrentHashMap<>();
    private final LongAdder totalCalls = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledThreadPoolExecutor scheduler;
    private final HttpAsyncServer server;
    private final Recording recording;
    private volatile int port;

    /** What the server keeps of each call. */
    public enum Recording {
        /** Each call's body, headers and start, for a test to read back; memory grows with the calls. */
        CALLS,
        /**
         * Counters only (calls, calls open, peak concurrency): for long runs such as benchmarks, where
         * keeping every call would grow the heap by a few kilobytes per call and cost collections.
         * Reading calls back then throws {@link IllegalStateException}.
         */
        COUNTS
    }

    private SimulatedUpstream(Recording recording) {
        this.recording = Objects.requireNonNull(recording, "recording");
        this.scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "simulated-upstream-scheduler");
            thread.setDaemon(true);
            return thread;
        });
        // Cancelled responses (the client gave up) must not pile up in the queue until their time.
        scheduler.setRemoveOnCancelPolicy(true);
        this.server = AsyncServerBootstrap.bootstrap()
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(IO_THREADS)
                        .setBacklogSize(BACKLOG)
                        .setSoTimeout(IDLE_TIMEOUT)
                        .setSoReuseAddress(true)
                        .setTcpNoDelay(true)
                        .build())
                // 8 KiB per buffer rather than HttpCore's 32: three are allocated per connection, and a
                // benchmark holds 10,000 connections open.
                .setHttp1Config(Http1Config.custom().setBufferSize(8 * 1024).build())
                .setIOSessionListener(new ConnectionTracker())
                .setExceptionCallback(e -> log.debug("Simulated upstream I/O error: {}", e.toString()))
                // Every request goes to the exchange, which routes by path itself: the bootstrap's
                // own router would answer 421 for any Host other than the machine's canonical name.
                .setRequestRouter((request, context) -> () -> new SimulatedExchange(this))
                .create();
    }

    /** Starts a simulated upstream on a free port of 127.0.0.1 that records every call. */
    public static SimulatedUpstream start() {
        return start(0);
    }

    /**
     * Starts a simulated upstream on 127.0.0.1 that records every call.
     *
     * @param port the port to listen on, or 0 for a free one
     * @throws IllegalStateException if the server cannot listen on that port
     */
    public static SimulatedUpstream start(int port) {
        return start(port, Recording.CALLS);
    }

    /**
     * Starts a simulated upstream on 127.0.0.1.
     *
     * @param port the port to listen on, or 0 for a free one
     * @param recording what it keeps of each call
     * @throws IllegalStateException if the server cannot listen on that port
     */
    public static SimulatedUpstream start(int port, Recording recording) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0-65535, was " + port);
        }
        SimulatedUpstream upstream = new SimulatedUpstream(recording);
        upstream.listen(port);
        return upstream;
    }

    private void listen(int requestedPort) {
        server.start();
        try {
            ListenerEndpoint endpoint = server
                    .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort), URIScheme.HTTP)
                    .get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            port = ((InetSocketAddress) endpoint.getAddress()).getPort();
        } catch (ExecutionException | TimeoutException e) {
            close();
            throw new IllegalStateException("Simulated upstream could not listen on port " + requestedPort, e);
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting the simulated upstream", e);
        }
        log.info("Simulated upstream listening on http://127.0.0.1:{}", port);
    }

    /** The OpenAI base URL of an account: {@code http://127.0.0.1:{port}/accounts/{accountId}/v1}. */
    public String baseUrl(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        return "http://127.0.0.1:" + port + "/accounts/" + AccountIds.encode(accountId) + "/v1";
    }

    /**
     * The account's URL without the API version, {@code http://127.0.0.1:{port}/accounts/{accountId}},
     * for clients that append {@code /v1/...} themselves, as Anthropic clients append
     * {@code /v1/messages}.
     */
    public String rootUrl(String accountId) {
        Objects.requireNonNull(accountId, "accountId");
        return "http://127.0.0.1:" + port + "/accounts/" + AccountIds.encode(accountId);
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    /**
     * Sets what an account's calls get: call 1 gets {@code steps[0]}, call n gets {@code steps[n-1]},
     * and calls after the last step repeat it. Creates the account if needed; otherwise replaces its
     * script and restarts at the first step, keeping its counters and recorded requests.
     *
     * @param accountId the account, as used in {@link #baseUrl(String)}
     * @param steps at least one behaviour
     */
    public void script(String accountId, Behaviour... steps) {
        Objects.requireNonNull(accountId, "accountId");
        if (steps == null || steps.length == 0) {
            throw new IllegalArgumentException("A script needs at least one step");
        }
        List<Behaviour> copy = List.of(steps);
        accounts.compute(accountId, (id, existing) -> {
            if (existing == null) {
                return new SimulatedAccount(copy, recording == Recording.CALLS);
            }
            existing.script(copy);
            return existing;
        });
    }

    /**
     * Requests received for an account on every endpoint (counted once the body has been read); 0 for
     * an unknown account.
     */
    public int calls(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? 0 : account.calls();
    }

    /** Requests received for an account on one endpoint; 0 for an unknown account. */
    public int calls(String accountId, Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? 0 : account.calls(endpoint);
    }

    /** The endpoint of each call of an account, in arrival order. */
    public List<Endpoint> endpoints(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? List.of() : account.endpoints();
    }

    /**
     * When each call of an account started, in arrival order (the order of {@link #requestBodies}):
     * the wall-clock instant ({@link Instant#now()}) at which the server had read the request's
     * head, before its body and before its latency. A client on this machine started the call
     * slightly earlier, by the time the request took to cross the loopback.
     */
    public List<Instant> callStarts(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? List.of() : account.callStarts();
    }

    /** Every request the server received, including those answered 404 for an unknown account or path. */
    public int totalCalls() {
        return totalCalls.intValue();
    }

    /** The most requests of an account that were open at once (received, response not yet fully sent). */
    public int peakConcurrency(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? 0 : account.peakConcurrency();
    }

    /** Requests of an account received and not yet fully answered, failed or abandoned. */
    public int inFlight(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? 0 : account.inFlight();
    }

    /**
     * The request bodies an account received, in arrival order. A body that is not JSON is kept as a
     * text node holding the raw body.
     */
    public List<JsonNode> requestBodies(String accountId) {
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? List.of() : account.requestBodies();
    }

    /** The {@code Authorization} header of each call of an account, in arrival order; null where absent. */
    public List<String> authorizationHeaders(String accountId) {
        return headers(accountId, "Authorization");
    }

    /** The {@code x-api-key} header (Anthropic's credential) of each call of an account; null where absent. */
    public List<String> apiKeyHeaders(String accountId) {
        return headers(accountId, "x-api-key");
    }

    /**
     * Any request header of each call of an account, in arrival order, for example
     * {@code anthropic-version} or a ChatGPT account id; null where absent. Names are
     * case-insensitive; a repeated header's values are joined with {@code ", "}.
     */
    public List<String> headers(String accountId, String headerName) {
        Objects.requireNonNull(headerName, "headerName");
        SimulatedAccount account = accounts.get(accountId);
        return account == null ? List.of() : account.headers(headerName);
    }

    /**
     * Forgets every account (scripts, counters and recorded requests) and the total call count.
     * Requests already being answered finish with the behaviour they were given.
     */
    public void reset() {
        accounts.clear();
        totalCalls.reset();
    }

    /** Stops the server at once: open connections are dropped and pending responses are never sent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdownNow();
        server.close(CloseMode.IMMEDIATE);
        connections.clear();
        if (port != 0) {
            log.info("Simulated upstream on port {} closed", port);
        }
    }

    SimulatedAccount account(String accountId) {
        return accounts.get(accountId);
    }

    void countRequest() {
        totalCalls.increment();
    }

    ObjectMapper mapper() {
        return mapper;
    }

    Dialect dialect(Endpoint endpoint) {
        return dialects.get(endpoint);
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** The open connection from {@code remoteAddress}, or null if there is none (any more). */
    IOSession connection(SocketAddress remoteAddress) {
        return remoteAddress == null ? null : connections.get(remoteAddress);
    }

    /**
     * Keeps the open connections by client address, which is all an exchange knows about its
     * connection, so that {@link Behaviour#reset()} can close one abruptly.
     */
    private final class ConnectionTracker implements IOSessionListener {

        @Override
        public void connected(IOSession session) {
            SocketAddress remote = session.getRemoteAddress();
            if (remote != null) {
                connections.put(remote, session);
            }
        }

        @Override
        public void disconnected(IOSession session) {
            SocketAddress remote = session.getRemoteAddress();
            if (remote == null || !connections.remove(remote, session)) {
                // The address may be gone once the socket is closed; fall back to a scan.
                connections.values().remove(session);
            }
        }

        @Override
        public void startTls(IOSession session) {
            // Plain HTTP only.
        }

        @Override
        public void inputReady(IOSession session) {
            // Not needed for tracking.
        }

        @Override
        public void outputReady(IOSession session) {
            // Not needed for tracking.
        }

        @Override
        public void timeout(IOSession session) {
            // The reactor closes timed-out sessions and reports them as disconnected.
        }

        @Override
        public void exception(IOSession session, Exception cause) {
            // Failed sessions are closed and reported as disconnected.
        }
    }
}
