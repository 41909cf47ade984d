package dev.tokenrelay.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HeaderElements;
import org.apache.hc.core5.http.HttpConnection;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpStatus;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.nio.entity.BasicAsyncEntityProducer;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP exchange on the simulated upstream: reads the request body, routes it to an account and
 * {@link Endpoint}, looks up the account's next {@link Behaviour} and carries it out, rendered by
 * the endpoint's {@link Dialect}, possibly later on the scheduler thread.
 *
 * <p>HttpCore calls the request-side methods on an I/O reactor thread. The response is committed
 * either there (routing errors) or on the scheduler thread; {@link ResponseChannel} may be used from
 * any thread. {@link #produce} is first called inside {@code sendResponse} and only afterwards by the
 * reactor, so the entity producer is never driven by two threads at once.
 */
final class SimulatedExchange implements AsyncServerExchangeHandler {

    private static final Logger log = LoggerFactory.getLogger(SimulatedExchange.class);
    private static final String PATH_PREFIX = "/accounts/";
    private static final Duration CLIENT_GONE_CHECK = Duration.ofMillis(200);

    private final SimulatedUpstream upstream;
    // Only touched by the reactor thread while the request body arrives.
    private final ByteArrayOutputStream requestBody = new ByteArrayOutputStream();
    // Guarded by this: whether the exchange is over, and the account whose in-flight count it holds.
    private boolean ended;
    private SimulatedAccount account;

    private volatile HttpRequest request;
    private volatile ResponseChannel responseChannel;
    private volatile HttpContext context;
    private volatile AsyncEntityProducer entity;
    private volatile Future<?> pendingResponse;
    private volatile Instant startedAt;

    SimulatedExchange(SimulatedUpstream upstream) {
        this.upstream = upstream;
    }

    @Override
    public void handleRequest(
            HttpRequest request, EntityDetails entityDetails, ResponseChannel responseChannel, HttpContext context)
            throws HttpException, IOException {
        // The head is the first the server sees of a call: the closest it can tell to when the
        // client started it (the body may take longer to arrive).
        this.startedAt = Instant.now();
        this.request = request;
        this.responseChannel = responseChannel;
        this.context = context;
        if (entityDetails == null) {
            requestComplete();
            return;
        }
        Header expect = request.getFirstHeader(HttpHeaders.EXPECT);
        if (expect != null && HeaderElements.CONTINUE.equalsIgnoreCase(expect.getValue())) {
            responseChannel.sendInformation(new BasicHttpResponse(HttpStatus.SC_CONTINUE), context);
        }
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        capacityChannel.update(Integer.MAX_VALUE);
    }

    @Override
    public void consume(ByteBuffer src) {
        if (src.hasArray()) {
            requestBody.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
            src.position(src.limit());
        } else {
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            requestBody.writeBytes(bytes);
        }
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        requestComplete();
    }

    @Override
    public int available() {
        AsyncEntityProducer current = entity;
        return current == null ? 0 : current.available();
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        AsyncEntityProducer current = entity;
        if (current != null) {
            current.produce(channel);
        }
    }

    @Override
    public void failed(Exception cause) {
        log.debug("Simulated exchange {} {} ended abnormally: {}", method(), path(), cause.toString());
        end();
    }

    @Override
    public void releaseResources() {
        end();
        AsyncEntityProducer current = entity;
        if (current != null) {
            current.releaseResources();
        }
    }

    /** The request has been fully read: count it and carry out the account's next behaviour. */
    private void requestComplete() {
        upstream.countRequest();
        String path = path();
        Route route = Route.of(path);
        if (route == null) {
            // No endpoint to speak for, so the OpenAI format that most clients understand.
            send(upstream.dialect(Endpoint.CHAT)
                    .routingError(HttpStatus.SC_NOT_FOUND, "Unknown path " + path, "not_found"));
            return;
        }
        Dialect dialect = upstream.dialect(route.endpoint());
        if (!Method.POST.isSame(request.getMethod())) {
            send(dialect.routingError(HttpStatus.SC_METHOD_NOT_ALLOWED, "Use POST for " + path, "method_not_allowed"));
            return;
        }
        SimulatedAccount target = upstream.account(route.accountId());
        if (target == null) {
            send(dialect.routingError(HttpStatus.SC_NOT_FOUND, "Unknown account '" + route.accountId() + "'",
                    "account_not_found"));
            return;
        }
        JsonNode body = parseBody();
        Behaviour behaviour;
        synchronized (this) {
            if (ended) {
                return;
            }
            behaviour = target.arrive(route.endpoint(), body, this::headers, startedAt);
            account = target;
        }
        try {
            if (behaviour instanceof Behaviour.NoAnswer) {
                // Nothing is ever sent. HttpCore keeps a connection the client has closed half-open while
                // it waits for the response, so watch for that to end the exchange when the client gives up.
                pendingResponse = upstream.scheduler().scheduleWithFixedDelay(this::closeIfClientGone,
                        CLIENT_GONE_CHECK.toMillis(), CLIENT_GONE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                pendingResponse = upstream.scheduler().schedule(
                        () -> perform(dialect, behaviour, body), behaviour.latency().toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            log.debug("Simulated upstream is closing; dropping the response to {}", path);
        }
        if (isEnded()) {
            cancelPendingResponse();
        }
    }

    private void perform(Dialect dialect, Behaviour behaviour, JsonNode body) {
        if (isEnded()) {
            return;
        }
        if (behaviour instanceof Behaviour.Reset) {
            resetConnection();
            return;
        }
        Answer answer;
        try {
            answer = dialect.render(behaviour, body);
        } catch (RuntimeException e) {
            // On the scheduler thread nobody would see this; answer instead of leaving the client hanging.
            log.warn("Simulated upstream could not render {} for {}", behaviour, path(), e);
            answer = dialect.routingError(HttpStatus.SC_INTERNAL_SERVER_ERROR,
                    "Simulated upstream failed: " + e, "simulator_error");
        }
        send(answer);
    }

    /**
     * Closes the connection without writing a byte of response, so the client sees an I/O error
     * rather than a status it could mistake for an answer.
     */
    private void resetConnection() {
        IOSession connection = upstream.connection(remoteAddress());
        if (connection == null) {
            log.warn("Simulated reset found no open connection from {}; the exchange stays unanswered",
                    remoteAddress());
            return;
        }
        connection.close(CloseMode.IMMEDIATE);
    }

    /** Once the client has closed its side, no answer can reach it: drop the connection to end the exchange. */
    private void closeIfClientGone() {
        IOSession connection = upstream.connection(remoteAddress());
        if (connection != null && connection.getHandler() instanceof HttpConnection http && !http.isOpen()) {
            connection.close(CloseMode.IMMEDIATE);
        }
    }

    private SocketAddress remoteAddress() {
        return HttpCoreContext.cast(context).getEndpointDetails().getRemoteAddress();
    }

    private void send(Answer answer) {
        // The call is over for the account once its answer starts: a client that starts its next
        // call as soon as it has read this one must not be seen as one call over its limit.
        releaseAccount();
        BasicHttpResponse response = new BasicHttpResponse(answer.status());
        answer.headers().forEach(response::addHeader);
        AsyncEntityProducer producer =
                new BasicAsyncEntityProducer(answer.body(), answer.contentType(), answer.chunked());
        entity = producer;
        try {
            responseChannel.sendResponse(response, producer, context);
        } catch (HttpException | IOException | RuntimeException e) {
            // Usually the client gave up while the response was being scheduled.
            log.debug("Could not send the simulated response to {}: {}", path(), e.toString());
        }
    }

    /** The request headers by lower-case name; repeated headers are joined as HTTP allows. */
    private Map<String, String> headers() {
        Map<String, String> headers = new HashMap<>();
        for (Header header : request.getHeaders()) {
            headers.merge(header.getName().toLowerCase(Locale.ROOT), header.getValue(),
                    (first, next) -> first + ", " + next);
        }
        return headers;
    }

    private JsonNode parseBody() {
        byte[] bytes = requestBody.toByteArray();
        try {
            return upstream.mapper().readTree(bytes);
        } catch (IOException e) {
            // Keep what arrived so a test can still see it; behaviours then see no messages or model.
            return TextNode.valueOf(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    private void releaseAccount() {
        SimulatedAccount counted;
        synchronized (this) {
            counted = account;
            account = null;
        }
        if (counted != null) {
            counted.completed();
        }
    }

    private void end() {
        SimulatedAccount counted;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            counted = account;
            account = null;
        }
        cancelPendingResponse();
        if (counted != null) {
            counted.completed();
        }
    }

    private synchronized boolean isEnded() {
        return ended;
    }

    private void cancelPendingResponse() {
        Future<?> pending = pendingResponse;
        if (pending != null) {
            pending.cancel(false);
        }
    }

    private String method() {
        HttpRequest current = request;
        return current == null ? "?" : current.getMethod();
    }

    private String path() {
        HttpRequest current = request;
        if (current == null || current.getPath() == null) {
            return "";
        }
        String path = current.getPath();
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }

    /** An account id and endpoint, parsed from {@code /accounts/{id}/v1/...}. */
    private record Route(String accountId, Endpoint endpoint) {

        /** The route of {@code path}, or null if it names no account or no endpoint. */
        static Route of(String path) {
            if (!path.startsWith(PATH_PREFIX)) {
                return null;
            }
            for (Endpoint endpoint : Endpoint.values()) {
                if (path.endsWith(endpoint.pathSuffix())) {
                    String encoded =
                            path.substring(PATH_PREFIX.length(), path.length() - endpoint.pathSuffix().length());
                    if (encoded.isEmpty() || encoded.indexOf('/') >= 0) {
                        return null;
                    }
                    return new Route(AccountIds.decode(encoded), endpoint);
                }
            }
            return null;
        }
    }
}
