package dev.tokenrelay;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/** What the processor does when a stream thread fails. */
class TokenRelayTest {

    @Test
    void shouldReplaceAFailedStreamThreadUnlessAnotherProcessorTookItsPlaceInTheGroup() {
        // Given a thread failure of any kind, and one caused by a fenced group instance id
        Throwable other = new StreamsException(new KafkaException("broker unreachable"));
        Throwable fenced = new StreamsException(new KafkaException(
                new FencedInstanceIdException("The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.")));

        // When the processor decides what to do
        StreamThreadExceptionResponse onOther = TokenRelay.onStreamThreadFailure(other);
        StreamThreadExceptionResponse onFenced = TokenRelay.onStreamThreadFailure(fenced);

        // Then it replaces the thread, but stops rather than fence the other processor back
        assertThat(onOther).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(onFenced).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }
}
