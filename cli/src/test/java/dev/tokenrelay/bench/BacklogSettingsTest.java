package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BacklogSettingsTest {

    private static BacklogSettings settings(int requests, Duration latency, int inFlight, String heap) {
        return new BacklogSettings(requests, latency, inFlight, 4, 2, Duration.ofMinutes(10), 2048, heap, false);
    }

    @Test
    void shouldGiveTheProcessorItsHeapAndTheAccountsSlotInterval() {
        // Given the target: 16 in flight, 1 s upstream, 512m heap
        BacklogSettings s = settings(1_000_000, Duration.ofSeconds(1), 16, "512m");
        // Then the child JVM gets -Xmx512m, and a slot frees every 1 s / 16
        assertThat(s.jvmOptions()).startsWith("-Xmx512m");
        assertThat(s.processorHeapBytes()).isEqualTo(512L << 20);
        assertThat(s.slotInterval()).isEqualTo(Duration.ofMillis(62).plusNanos(500_000));
        // And sizes are read as -Xmx reads them, case aside
        assertThat(settings(1, Duration.ZERO, 1, " 2G").processorHeap()).isEqualTo("2g");
        assertThat(settings(1, Duration.ZERO, 1, "2g").processorHeapBytes()).isEqualTo(2L << 30);
        assertThat(settings(1, Duration.ZERO, 1, "131072k").processorHeapBytes()).isEqualTo(128L << 20);
    }

    @Test
    void shouldRejectValuesNamingTheOption() {
        assertThatThrownBy(() -> settings(0, Duration.ofSeconds(1), 16, "512m")).hasMessageContaining("--requests");
        assertThatThrownBy(() -> settings(1_000_001, Duration.ofSeconds(1), 16, "512m")).hasMessageContaining("--requests");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(-1), 16, "512m")).hasMessageContaining("--latency");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 0, "512m")).hasMessageContaining("--in-flight");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 16, "512 MB"))
                .hasMessageContaining("--processor-heap must be a size as -Xmx takes it");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 16, "-Xmx512m")).hasMessageContaining("--processor-heap");
        assertThatThrownBy(() -> settings(10, Duration.ofSeconds(1), 16, "32m")).hasMessageContaining("at least 64m");
        assertThatThrownBy(() -> new BacklogSettings(10, Duration.ofSeconds(1), 16, 4, 2, Duration.ofSeconds(1), 2048,
                "512m", false)).hasMessageContaining("--timeout");
        assertThatThrownBy(() -> new BacklogSettings(10, Duration.ofSeconds(1), 16, 4, 2, Duration.ofMinutes(1), 8,
                "512m", false)).hasMessageContaining("--prompt-chars");
    }

    @Test
    void shouldReadResidentMemoryFromProcStatus() {
        // Given the lines of /proc/<pid>/status around VmRSS
        String status = "Name:\tjava\nVmPeak:\t 5000000 kB\nVmRSS:\t  734512 kB\nRssAnon:\t  600000 kB\n";
        // Then VmRSS is read, in bytes
        assertThat(ProcessMemory.vmRss(status)).hasValue(734_512L * 1024);
        // And a status without it, or with a value that is no number, has none
        assertThat(ProcessMemory.vmRss("Name:\tjava\nVmPeak:\t 5000000 kB\n")).isEmpty();
        assertThat(ProcessMemory.vmRss("VmRSS:\t  lots kB\n")).isEmpty();
        // And this process's own can be read
        assertThat(ProcessMemory.residentBytes(ProcessHandle.current().pid())).isPresent();
    }

    @Test
    void shouldScaleGrowthPerHundredThousandQueued() {
        // Given 40 MiB more at the peak than idle, with 400,000 attempts queued
        Double perHundredK = ProcessMemory.perHundredThousand(100L << 20, 140L << 20, 400_000);
        // Then each 100k queued cost a quarter of it
        assertThat(perHundredK).isEqualTo((double) (10L << 20));
        // And a peak below idle counts as no growth, and too few queued to tell has no figure
        assertThat(ProcessMemory.perHundredThousand(100, 50, 10_000)).isZero();
        assertThat(ProcessMemory.perHundredThousand(100, 500, 0)).isNull();
        assertThat(ProcessMemory.perHundredThousand(100, 500, 9_999)).isNull();
    }
}
