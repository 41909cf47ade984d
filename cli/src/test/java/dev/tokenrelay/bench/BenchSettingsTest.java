package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchSettingsTest {

    private static BenchSettings settings(int requests, Duration latency, double failureRate, int inFlight, int accounts,
            Map<String, String> streams) {
        return new BenchSettings(requests, latency, failureRate, inFlight, accounts, 4, 2, Duration.ofMinutes(2), 0, 0, 512,
                true, false, Duration.ofSeconds(20), false, 1, streams, false, false, List.of());
    }

    @Test
    void shouldBoundThroughputByLittlesLaw() {
        // Given 2 accounts of 256 in flight each and a 500 ms upstream
        BenchSettings s = settings(100, Duration.ofMillis(500), 0, 256, 2, Map.of());
        // When the bound is computed, Then it is every slot busy: 512 / 0.5 s
        assertThat(s.littleBound()).isEqualTo(1024.0);
        // And at zero latency there is no bound
        assertThat(settings(100, Duration.ZERO, 0, 256, 1, Map.of()).littleBound()).isInfinite();
    }

    @Test
    void shouldRejectValuesNamingTheOption() {
        assertThatThrownBy(() -> settings(0, Duration.ofSeconds(1), 0, 256, 1, Map.of()))
                .hasMessageContaining("--requests");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(-1), 0, 256, 1, Map.of()))
                .hasMessageContaining("--latency");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 1.0, 256, 1, Map.of()))
                .hasMessageContaining("--failure-rate");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 0, 5000, 1, Map.of()))
                .hasMessageContaining("--in-flight");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 0, 256, 1, Map.of("num.stream.threads", "4")))
                .hasMessageContaining("--stream-threads");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 0, 256, 1, Map.of("application.id", "x")))
                .hasMessageContaining("application.id");
    }

    @Test
    void shouldRefuseIntakeApartWhereTokenrelayWouldRunOneClient() {
        // Given --separate-intake, When the streams protocol or an assignor of the user's is asked for,
        // Then the option at fault is named
        assertThatThrownBy(() -> apart(Map.of("group.protocol", "streams")))
                .hasMessageContaining("--separate-intake needs the classic group protocol");
        assertThatThrownBy(() -> apart(Map.of("task.assignor.class", "com.example.Assignor")))
                .hasMessageContaining("task.assignor.class");
        // And otherwise the group waits for intake's thread too
        assertThat(apart(Map.of("group.protocol", "classic")).relayMembers()).isEqualTo(3);
        assertThat(settings(100, Duration.ofSeconds(1), 0, 64, 1, Map.of()).relayMembers()).isEqualTo(2);
    }

    private static BenchSettings apart(Map<String, String> streams) {
        return new BenchSettings(100, Duration.ofSeconds(1), 0, 64, 1, 4, 2, Duration.ofMinutes(2), 0, 0, 512,
                true, false, Duration.ofSeconds(20), false, 1, streams, false, true, List.of());
    }

    @Test
    void shouldRefuseWhatTheProcessesModeCannotRun() {
        // Given --processes, When the naive way or a warm-up is asked for, Then the option is named
        assertThatThrownBy(() -> processes(true, 0, 0)).hasMessage("--naive does not apply to --processes");
        assertThatThrownBy(() -> processes(false, 0, 100)).hasMessageStartingWith("--warmup does not apply to --processes");
        // And without them it runs, a failure mix included (the simulator's process scripts it)
        assertThat(processes(false, 0, 0).processes()).isTrue();
        assertThat(processes(false, 0.3, 0).failureRate()).isEqualTo(0.3);
        // And with each end of a connection in its own process, 10,000 calls may be open; in one JVM they may not
        assertThat(processes(10_000).inFlight()).isEqualTo(10_000);
        assertThatThrownBy(() -> processes(20_000)).hasMessageContaining("with --processes");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 0, 10_000, 1, Map.of()))
                .hasMessageContaining("--in-flight x (--accounts + 1 spare)");
    }

    private static BenchSettings processes(int inFlight) {
        return new BenchSettings(100, Duration.ofSeconds(1), 0, inFlight, 1, 4, 2, Duration.ofMinutes(2), 0, 0,
                512, true, false, Duration.ofSeconds(20), true, 1, Map.of(), true, false, List.of());
    }

    private static BenchSettings processes(boolean naive, double failureRate, int warmup) {
        return new BenchSettings(100, Duration.ofSeconds(1), failureRate, 64, 1, 4, 2, Duration.ofMinutes(2), warmup, 0,
                512, true, naive, Duration.ofSeconds(20), true, 1, Map.of(), true, false, List.of());
    }
}
