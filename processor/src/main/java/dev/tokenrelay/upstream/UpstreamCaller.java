package dev.tokenrelay.upstream;

import dev.tokenrelay.classify.Outcome;
import dev.tokenrelay.classify.OutcomeClassifier;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.schema.ChatRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;

/**
 * The one wrapper around every upstream call: resolves the account's credential, builds the
 * provider's request, sends it without blocking the caller, and turns the HTTP exchange into an
 * {@link Outcome}. The returned future never completes exceptionally.
 *
 * <p>One instance serves every stream task of a processor; it is thread-safe.
 */
public final class UpstreamCaller implements AutoCloseable {

    private final CloseableHttpAsyncClient client;
    private final Providers providers;
    private final OutcomeClassifier classifier;
    private final Clock clock;

    UpstreamCaller(CloseableHttpAsyncClient client, Providers providers, OutcomeClassifier classifier, Clock clock) {
        this.client = client;
        this.providers = providers;
        this.classifier = classifier;
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
            totalInFlight += maxInFlight(config, account);
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
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .setUserAgent("tokenrelay")
                .build();
        client.start();
        return new UpstreamCaller(client, providers, new OutcomeClassifier(config.policy(), clock), clock);
    }

    /** The in-flight limit of an account: its own, else the processor's default. */
    public static int maxInFlight(TokenRelayConfig config, AccountConfig account) {
        return account.maxInFlight() != null ? account.maxInFlight() : config.processor().defaultMaxInFlight();
    }

    /**
     * Starts a call. The future completes on an HTTP client thread; callers must hand the outcome to
     * their own thread rather than touch state from the callback.
     */
    public Call call(AccountConfig account, ChatRequest request) {
        String apiKey = null;
        if (account.apiKey() != null) {
            Optional<String> key = account.apiKey().resolve();
            if (key.isEmpty()) {
                return Call.done(Outcome.skippedAuth("no_credential"));
            }
            apiKey = key.get();
        }
        Provider provider = providers.get(account.provider());
        SimpleHttpRequest httpRequest;
        try {
            httpRequest = provider.toHttpRequest(account, request, apiKey);
        } catch (UnsendableRequestException e) {
            return Call.done(Outcome.fatal("unsendable_request", 400, e.getMessage()));
        }
        httpRequest.setConfig(RequestConfig.custom()
                .setResponseTimeout(Timeout.of(account.responseTimeout()))
                .setConnectionRequestTimeout(Timeout.of(account.responseTimeout()))
                .build());
        Instant startedAt = clock.instant();
        long startNanos = System.nanoTime();
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Future<SimpleHttpResponse> inFlight = client.execute(httpRequest, new FutureCallback<>() {
            @Override
            public void completed(SimpleHttpResponse response) {
                Map<String, String> rateLimits = new HashMap<>();
                for (String name : UpstreamExchange.RATE_LIMIT_HEADERS) {
                    Header header = response.getFirstHeader(name);
                    if (header != null) {
                        rateLimits.put(name, header.getValue());
                    }
                }
                finish(new UpstreamExchange.Response(response.getCode(), rateLimits, response.getBodyBytes(),
                        startedAt, elapsed()));
            }

            @Override
            public void failed(Exception cause) {
                finish(new UpstreamExchange.Failure(cause, startedAt, elapsed()));
            }

            @Override
            public void cancelled() {
                finish(new UpstreamExchange.Failure(
                        new java.util.concurrent.CancellationException("call cancelled"), startedAt, elapsed()));
            }

            private Duration elapsed() {
                return Duration.ofNanos(System.nanoTime() - startNanos);
            }

            private void finish(UpstreamExchange exchange) {
                Outcome classified;
                try {
                    classified = classifier.classify(exchange, provider);
                } catch (RuntimeException e) {
                    classified = Outcome.fatalTransport("classification_error", e.getClass().getSimpleName(),
                            startedAt, exchange.latency());
                }
                outcome.complete(classified);
            }
        });
        // The response timeout of HttpClient is an inactivity timeout; this bounds the whole call.
        outcome.orTimeout(account.responseTimeout().toMillis(), TimeUnit.MILLISECONDS);
        outcome.whenComplete((done, timedOut) -> {
            if (timedOut != null) {
                inFlight.cancel(true);
            }
        });
        CompletableFuture<Outcome> bounded = outcome.exceptionally(timedOut -> classifier.classify(
                new UpstreamExchange.Failure(new TimeoutException("no complete answer within "
                        + account.responseTimeout()), startedAt, Duration.ofNanos(System.nanoTime() - startNanos)),
                provider));
        return new Call(bounded, inFlight);
    }

    @Override
    public void close() {
        client.close(CloseMode.GRACEFUL);
    }

    /** A started call: its outcome, and a handle to abandon it. */
    public record Call(CompletableFuture<Outcome> outcome, Future<?> handle) {

        static Call done(Outcome outcome) {
            return new Call(CompletableFuture.completedFuture(outcome), null);
        }

        /** Abandons the call; its outcome completes as cancelled and should be ignored. */
        public void cancel() {
            if (handle != null) {
                handle.cancel(true);
            }
        }
    }
}
