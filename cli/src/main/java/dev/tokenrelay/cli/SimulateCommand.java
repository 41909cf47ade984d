package dev.tokenrelay.cli;

import com.sun.net.httpserver.HttpServer;
import dev.tokenrelay.bench.FailureMix;
import dev.tokenrelay.simulator.Behaviour;
import dev.tokenrelay.simulator.SimulatedUpstream;
import dev.tokenrelay.tools.StopOnSignal;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenrelay simulate}: a testing aid, hidden from the command list. The simulated upstream
 * on its own, every account answering with an echo after {@code --latency} (the {@code --failing}
 * ones with the bench's failure mix among them), until SIGTERM or
 * Ctrl-C, so that {@code bench --processes} can run it in a process of its own as a real upstream
 * would be. It also serves each account's open calls and peak concurrency as plain text.
 */
@Command(name = "simulate", hidden = true, mixinStandardHelpOptions = true,
        description = "Testing aid: run the simulated upstream (127.0.0.1 only) until SIGTERM or Ctrl-C.")
final class SimulateCommand implements Callable<Integer> {

    /** An account always present, answering at once: for warming the server up without waiting a latency. */
    static final String WARM_ACCOUNT = "warm";

    @Option(names = "--port", defaultValue = "0", paramLabel = "PORT",
            description = "The port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--latency", defaultValue = "1s", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long every call takes (default: ${DEFAULT-VALUE}).")
    Duration latency;

    @Option(names = "--accounts", split = ",", required = true, paramLabel = "ID",
            description = "The accounts to serve, comma-separated; each answers every call with an echo.")
    List<String> accounts = new ArrayList<>();

    @Option(names = "--failing", split = ",", paramLabel = "ID",
            description = "Accounts of --accounts that answer some calls with a retryable failure (see --failure-rate).")
    List<String> failing = new ArrayList<>();

    @Option(names = "--failure-rate", defaultValue = "0", paramLabel = "SHARE",
            description = "The share of the first --scripted-calls calls of each --failing account answered with a "
                    + "429, a 500 or an empty completion, in turn (default: ${DEFAULT-VALUE}).")
    double failureRate;

    @Option(names = "--scripted-calls", defaultValue = "100000", paramLabel = "N",
            description = "Calls of each --failing account the failure mix covers; later calls succeed "
                    + "(default: ${DEFAULT-VALUE}).")
    int scriptedCalls;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the failure mix, as bench --seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (latency.isNegative() || port < 0 || port > 65535) {
            spec.commandLine().getErr().println("tokenrelay: --latency must not be negative and --port must be 0 to 65535");
            return Main.EXIT_USAGE;
        }
        if (failureRate < 0 || failureRate >= 1 || scriptedCalls < 1 || !accounts.containsAll(failing)) {
            spec.commandLine().getErr().println("tokenrelay: --failure-rate must be at least 0 and below 1, "
                    + "--scripted-calls at least 1, and every --failing account one of --accounts");
            return Main.EXIT_USAGE;
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (StopOnSignal signals = StopOnSignal.install(stop::countDown);
                SimulatedUpstream upstream = SimulatedUpstream.start(port, SimulatedUpstream.Recording.COUNTS)) {
            Random random = new Random(seed);
            for (String account : accounts) {
                if (failing.contains(account) && failureRate > 0) {
                    upstream.script(account, FailureMix.script(failureRate, scriptedCalls, latency, random));
                } else {
                    upstream.script(account, Behaviour.echo().after(latency));
                }
            }
            upstream.script(WARM_ACCOUNT, Behaviour.echo());
            HttpServer stats = statsServer(upstream);
            try {
                for (String account : accounts) {
                    out.println("account " + account + " " + upstream.baseUrl(account));
                }
                out.println("account " + WARM_ACCOUNT + " " + upstream.baseUrl(WARM_ACCOUNT));
                // The line a caller waits for: every account above is served from here on.
                out.println("simulated upstream on http://127.0.0.1:" + upstream.port() + ", stats on http://127.0.0.1:"
                        + stats.getAddress().getPort() + "/stats");
                out.flush();
                stop.await();
            } finally {
                stats.stop(0);
            }
        }
        return 0;
    }

    /** {@code GET /stats}: one line per account, {@code <id> <open calls> <peak concurrency>}. */
    private HttpServer statsServer(SimulatedUpstream upstream) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/stats", exchange -> {
                StringBuilder text = new StringBuilder();
                for (String account : accounts) {
                    text.append(account).append(' ').append(upstream.inFlight(account)).append(' ')
                            .append(upstream.peakConcurrency(account)).append('\n');
                }
                byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream stream = exchange.getResponseBody()) {
                    stream.write(body);
                }
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the simulator's stats: " + e.getMessage(), e);
        }
    }
}
