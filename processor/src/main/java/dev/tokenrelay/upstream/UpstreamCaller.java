package dev.tokenrelay.upstream;

import dev.tokenrelay.classify.UpstreamCall;
import dev.tokenrelay.classify.UpstreamExchange;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.upstream.auth.Credential;
import dev.tokenrelay.upstream.auth.CredentialSource;
import dev.tokenrelay.upstream.auth.Credentials;
import dev.tokenrelay.upstream.auth.StaticKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * The one wrapper around every upstream call: resolves the account's credential, builds the
 * provider's request, sends it without blocking the caller, and turns what happened into an
 * {@link UpstreamExchange}: a response, a transport failure, or the reason nothing was sent.
 * Classifying it is dispatch's part; the provider that reads its answer comes with the call.
 *
 * <p>One instance serves every stream task of a processor; it is thread-safe.
 */
public final class UpstreamCaller implements AutoCloseable {

    private static final CredentialSource NO_CREDENTIAL = new StaticKey(null);
    /** Each connection's input, output and content buffer; see {@link #create}. */
    static final int HTTP_BUFFER_BYTES = 8 * 1024;

    private final CloseableHttpAsyncClient client;
    private final Credentials accountCredentials;
    private final Map<AccountConfig, CredentialSource> credentials;
    private final Providers providers;
    private final Clock clock;

    UpstreamCaller(CloseableHttpAsyncClient client, Credentials accountCredentials,
            Map<AccountConfig, CredentialSource> credentials, Providers providers, Clock clock) {
        this.client = client;
        this.accountCredentials = accountCredentials;
        this.credentials = credentials;
        this.providers = providers;
        this.clock = clock;
    }

    /**
     * Creates a caller whose connection pool can hold every account's in-flight limit at once, so
     * the pool never becomes the hidden bottleneck.
     */
    public static UpstreamCaller create(TokenRelayConfig config, Providers providers, Clock clock) {
        int totalInFlight = 0;
        Map<HttpHost, Timeout> connectTimeouts = new HashMap<>();
        for (AccountConfig account : config.accounts().values()) {
            providers.get(account.provider());
            totalInFlight += config.maxInFlight(account);
            HttpHost host = HttpHost.create(account.baseUrl());
            Timeout timeout = Timeout.of(account.connectTimeout());
            connectTimeouts.merge(host, timeout, (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
        int poolSize = Math.max(16, totalInFlight);
        PoolingAsyncClientConnectionManager connections = PoolingAsyncClientConnectionManagerBuilder.create()
                .setMaxConnTotal(poolSize)
                .setMaxConnPerRoute(poolSize)
                .setConnectionConfigResolver(route -> ConnectionConfig.custom()
                        .setConnectTimeout(connectTimeouts.getOrDefault(route.getTargetHost(), Timeout.ofSeconds(5)))
                        .build())
                .build();
        CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setConnectionManager(connections)
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .setSoKeepAlive(true)
                        .build())
                // HttpCore's default of 32 KiB allocates three such buffers per connection up front:
                // about 1 GiB of heap for 10,000 open calls. 8 KiB holds a request's head and answer
                // chunks as well, at a quarter of the memory per open call.
                .setHttp1Config(Http1Config.custom().setBufferSize(HTTP_BUFFER_BYTES).build())
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .setUserAgent("tokenrelay")
                .build();
        client.start();
        Credentials accounts = Credentials.of(config, client, clock);
        Map<AccountConfig, CredentialSource> credentials = new HashMap<>();
        config.accounts().forEach((id, account) -> credentials.put(account, accounts.source(id)));
        return new UpstreamCaller(client, accounts, credentials, providers, clock);
    }

    /** The accounts' credentials, and which accounts have no usable one (not to be chosen). */
    public Credentials credentials() {
        return accountCredentials;
    }

    /** The clock calls are timed with; stages that act on call outcomes use it too. */
    public Clock clock() {
        return clock;
    }

    /**
     * Starts a call. Its exchange completes on an HTTP client thread (never exceptionally);
     * callers must hand what they make of it to their own thread rather than touch state from
     * the callback.
     */
    public UpstreamCall call(AccountConfig account, ChatRequest request) {
        CredentialSource source = credentials.getOrDefault(account, NO_CREDENTIAL);
        Provider provider = providers.get(account.provider());
        Instant startedAt = clock.instant();
        long startNanos = System.nanoTime();
        AtomicReference<Future<?>> handle = new AtomicReference<>();
        CompletableFuture<UpstreamExchange> exchange = source.current().thenCompose(credential -> {
            if (credential instanceof Credential.Unusable unusable) {
                return CompletableFuture.completedFuture(UpstreamExchange.noCredential(unusable.reason(), startedAt));
            }
            return attempt(account, request, provider, credential, startedAt, startNanos, handle)
                    .thenCompose(first -> {
                        if (first instanceof UpstreamExchange.Response response && response.status() == 401) {
                            // A refreshable token gets one refresh and one more try on the same account.
                            return source.afterRejection(credential).thenCompose(renewed -> renewed.isEmpty()
                                    ? CompletableFuture.completedFuture(first)
                                    : attempt(account, request, provider, renewed.get(), startedAt, startNanos, handle));
                        }
                        return CompletableFuture.completedFuture(first);
                    });
        });
        // The response timeout of HttpClient is an inactivity timeout; this bounds the whole call.
        CompletableFuture<UpstreamExchange> bounded = exchange
                .orTimeout(account.responseTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(failure -> {
                    cancel(handle);
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    Throwable reported = cause instanceof TimeoutException
                            ? new TimeoutException("no complete answer within " + account.responseTimeout()) : cause;
                    return new UpstreamExchange.Failure(reported, startedAt,
                            Duration.ofNanos(System.nanoTime() - startNanos));
                });
        return new UpstreamCall(bounded, provider, () -> cancel(handle));
    }

    private static void cancel(AtomicReference<Future<?>> handle) {
        Future<?> inFlight = handle.get();
        if (inFlight != null) {
            inFlight.cancel(true);
        }
    }

    /** One HTTP exchange with the account; completes with the response or the failure, never exceptionally. */
    private CompletableFuture<UpstreamExchange> attempt(AccountConfig account, ChatRequest request, Provider provider,
            Credential credential, Instant startedAt, long startNanos, AtomicReference<Future<?>> handle) {
        SimpleHttpRequest httpRequest;
        try {
            httpRequest = provider.toHttpRequest(account, request, account.upstreamModel(request.model()),
                    credential.valueOrNull());
        } catch (UnsendableRequestException e) {
            return CompletableFuture.completedFuture(UpstreamExchange.unsendable(e.getMessage(), startedAt));
        }
        account.headers().forEach((name, value) -> {
            if (!httpRequest.containsHeader(name)) {
                httpRequest.addHeader(name, value);
            }
        });
        httpRequest.setConfig(RequestConfig.custom()
                .setResponseTimeout(Timeout.of(account.responseTimeout()))
                .setConnectionRequestTimeout(Timeout.of(account.responseTimeout()))
                .build());
        CompletableFuture<UpstreamExchange> exchange = new CompletableFuture<>();
        handle.set(client.execute(httpRequest, new FutureCallback<SimpleHttpResponse>() {
            @Override
            public void completed(SimpleHttpResponse response) {
                Map<String, String> headers = new HashMap<>();
                for (String name : UpstreamExchange.CLASSIFIED_HEADERS) {
                    Header header = response.getFirstHeader(name);
                    if (header != null) {
                        headers.put(name, header.getValue());
                    }
                }
                exchange.complete(new UpstreamExchange.Response(response.getCode(), headers, response.getBodyBytes(),
                        startedAt, elapsed()));
            }

            @Override
            public void failed(Exception cause) {
                exchange.complete(new UpstreamExchange.Failure(cause, startedAt, elapsed()));
            }

            @Override
            public void cancelled() {
                exchange.complete(new UpstreamExchange.Failure(new CancellationException("call cancelled"), startedAt,
                        elapsed()));
            }

            private Duration elapsed() {
                return Duration.ofNanos(System.nanoTime() - startNanos);
            }
        }));
        return exchange;
    }

    @Override
    public void close() {
        client.close(CloseMode.GRACEFUL);
    }
}
