package dev.tokenrelay.ops.scrape;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** Fetches a processor's {@code /metrics} for the {@code accounts} command and the benchmark. */
public final class MetricsScraper {

    private final HttpClient client;
    private final Duration timeout;

    public MetricsScraper(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * The samples at {@code url}.
     *
     * @throws ScrapeException with a message for people when the endpoint cannot be read
     */
    public PrometheusText scrape(URI url) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new ScrapeException(url + " answered HTTP " + response.statusCode());
            }
            return PrometheusText.parse(response.body());
        } catch (ConnectException e) {
            throw new ScrapeException(url + " is unreachable (connection refused): is the processor running "
                    + "with its ops endpoint there? (--metrics-url)");
        } catch (HttpTimeoutException e) {
            throw new ScrapeException(url + " did not answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            throw new ScrapeException(url + " cannot be read: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ScrapeException(url + ": interrupted");
        }
    }

    /** The metrics endpoint could not be read; the message says why, for people. */
    public static final class ScrapeException extends RuntimeException {
        public ScrapeException(String message) {
            super(message);
        }
    }
}
