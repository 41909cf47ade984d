package dev.tokenrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The group instance id derived when the configuration names none. */
class StaticMembershipTest {

    @Test
    void shouldKeepOnlyTheCharactersKafkaAcceptsInAGroupInstanceId() {
        // Given a host name with characters a group instance id cannot hold
        String host = "build host/01:x";

        // When the name is derived
        String name = StaticMembership.derived(host, Path.of("/var/lib/tokenrelay"));

        // Then they become dashes, before the hash of the state directory
        assertThat(name).matches("build-host-01-x-[0-9a-f]{8}");
    }

    @Test
    void shouldNameOneStateDirectoryTheSameHoweverItIsWritten() {
        // Given one state directory written relative, absolute, and with a detour
        Path relative = Path.of("state");
        Path absolute = relative.toAbsolutePath();
        Path detour = absolute.resolve("../state");

        // When the names are derived
        String fromRelative = StaticMembership.derived("h", relative);

        // Then they are one name
        assertThat(StaticMembership.derived("h", absolute)).isEqualTo(fromRelative);
        assertThat(StaticMembership.derived("h", detour)).isEqualTo(fromRelative);
    }

    @Test
    void shouldCutAVeryLongHostNameSoThatTheIdStaysWithinKafkasLimit() {
        // Given a host name of 300 characters
        String host = "h".repeat(300);

        // When the name is derived
        String name = StaticMembership.derived(host, Path.of("/state"));

        // Then it fits the 249 characters of a group instance id, with room for the thread suffix
        assertThat(name).hasSize(100 + 1 + 8);
    }
}
