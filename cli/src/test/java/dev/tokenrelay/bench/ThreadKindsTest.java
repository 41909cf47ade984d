package dev.tokenrelay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadKindsTest {

    @Test
    void shouldTellWhatAThreadDoesFromItsCutName() {
        // Given thread names as Linux keeps them (15 characters at most)
        // When each is told, Then the JVM's own threads, the application's and the clients' are apart
        assertThat(ThreadKinds.kindOf("C2 CompilerThre", "bench-relay")).isEqualTo(ThreadKinds.JIT);
        assertThat(ThreadKinds.kindOf("VM Thread", "bench-relay")).isEqualTo(ThreadKinds.GC);
        assertThat(ThreadKinds.kindOf("G1 Conc#0", "bench-relay")).isEqualTo(ThreadKinds.GC);
        assertThat(ThreadKinds.kindOf("bench-relay-b8d", "bench-relay-with-a-long-id")).isEqualTo(ThreadKinds.OTHER);
        assertThat(ThreadKinds.kindOf("bench-relay-b8d", "bench-relay")).isEqualTo(ThreadKinds.STREAMS);
        assertThat(ThreadKinds.kindOf("kafka-producer-", "bench-relay")).isEqualTo(ThreadKinds.CLIENTS);
        assertThat(ThreadKinds.kindOf("httpclient-disp", "bench-relay")).isEqualTo(ThreadKinds.HTTP);
        assertThat(ThreadKinds.kindOf("rocksdb:low", "bench-relay")).isEqualTo(ThreadKinds.ROCKSDB);
        assertThat(ThreadKinds.kindOf("main", "bench-relay")).isEqualTo(ThreadKinds.OTHER);
    }

    @Test
    void shouldSumTheCpuBetweenTwoSamplesByKindLargestFirst() {
        // Given two samples: a stream thread and the JIT in both, an HTTP thread only in the later one
        Map<String, ThreadKinds.Sample> before = Map.of(
                "10", new ThreadKinds.Sample(ThreadKinds.STREAMS, 1_000),
                "11", new ThreadKinds.Sample(ThreadKinds.JIT, 5_000));
        Map<String, ThreadKinds.Sample> after = Map.of(
                "10", new ThreadKinds.Sample(ThreadKinds.STREAMS, 9_000),
                "11", new ThreadKinds.Sample(ThreadKinds.JIT, 6_000),
                "12", new ThreadKinds.Sample(ThreadKinds.HTTP, 3_000));

        // When the CPU between them is summed
        Map<String, Long> byKind = ThreadKinds.between(before, after);

        // Then each kind has what its threads used in between (a new thread from 0), largest first
        assertThat(byKind).containsExactly(Map.entry(ThreadKinds.STREAMS, 8_000L), Map.entry(ThreadKinds.HTTP, 3_000L),
                Map.entry(ThreadKinds.JIT, 1_000L));
    }
}
