package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What {@code bench --processes} reads from /proc and from the simulator, and how it turns samples into figures. */
class ProcessesTest {

    @Test
    void shouldAddUserAndSystemTimeOfAStatLine() {
        // Given a /proc/<pid>/stat line whose command name holds spaces and parentheses
        String stat = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 52311 0 12 0 1234 567 0 0 20 0 41 0 "
                + "8801234 4123456789 98765 18446744073709551615 1 1 0 0 0 0 0 4096 17630 0 0 0 17 1 0 0 0 0 0";
        // When its CPU is read, Then it is utime 1234 + stime 567 ticks
        assertThat(ProcessCpu.cpuTicks(stat)).isEqualTo(OptionalLong.of(1801));
    }

    @Test
    void shouldNotReadCpuFromWhatIsNotAStatLine() {
        assertThat(ProcessCpu.cpuTicks("")).isEmpty();
        assertThat(ProcessCpu.cpuTicks("4242 (java) S 1 2 3")).isEmpty();
        assertThat(ProcessCpu.cpuTicks("4242 (java) S 1 4242 4242 0 -1 4194560 52311 0 12 0 x 567 0 0")).isEmpty();
    }

    @Test
    void shouldReadThisProcesssCpu() {
        // On Linux this JVM has used CPU; elsewhere there is nothing to read
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/stat"))) {
            assertThat(ProcessCpu.cpuNanos(ProcessHandle.current().pid()).orElseThrow()).isPositive();
            assertThat(ProcessCpu.ticksPerSecond()).isPositive();
        }
        assertThat(ProcessCpu.cpuNanos(-1)).isEmpty();
    }

    @Test
    void shouldInterpolateCpuBetweenSamples() {
        // Given CPU read at 0, 100 and 200 ns: 10, 30, 30
        List<long[]> samples = List.of(new long[] {0, 10}, new long[] {100, 30}, new long[] {200, 30});
        // Then in between it is on the line, and outside it is the nearest sample
        assertThat(Processes.interpolate(samples, 50)).isEqualTo(20);
        assertThat(Processes.interpolate(samples, 100)).isEqualTo(30);
        assertThat(Processes.interpolate(samples, -5)).isEqualTo(10);
        assertThat(Processes.interpolate(samples, 500)).isEqualTo(30);
        assertThat(Processes.interpolate(List.of(), 50)).isZero();
    }

    @Test
    void shouldGiveThePipesSpreadAsAShareOfTheBest() {
        assertThat(Processes.spread(List.of(900.0, 1000.0, 950.0))).isEqualTo(0.1);
        assertThat(Processes.spread(List.of())).isNull();
    }

    @Test
    void shouldReadTheSimulatorsStats() {
        Map<String, int[]> stats = Processes.parseStats("primary-1 12 64\nspare 0 3\nnot a line\n");
        assertThat(stats).containsOnlyKeys("primary-1", "spare");
        assertThat(stats.get("primary-1")).containsExactly(12, 64);
    }
}
