package dev.tokenrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrelay.chaos.FaultSchedule.Step;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FaultScheduleTest {

    @Test
    void shouldPlayEveryFaultOncePerRoundWithEachAddedInstanceRemovedLater() {
        // Given a seed and three rounds
        // When the schedule is drawn
        List<Step> steps = FaultSchedule.steps(new Random(7), 3, true);

        // Then each round has each fault once, and an instance added is removed after it within the round
        assertThat(steps).hasSize(15);
        for (int round = 0; round < 3; round++) {
            List<Step> inRound = steps.subList(round * 5, round * 5 + 5);
            assertThat(inRound).containsExactlyInAnyOrder(Step.values());
            assertThat(inRound.indexOf(Step.REMOVE)).isGreaterThan(inRound.indexOf(Step.ADD));
        }
    }

    @Test
    void shouldDrawTheSameScheduleFromTheSameSeed() {
        // Given two draws from one seed, and one from another
        // When the schedules are drawn
        // Then the same seed gives the same order
        assertThat(FaultSchedule.steps(new Random(42), 4, true)).isEqualTo(FaultSchedule.steps(new Random(42), 4, true));
    }

    @Test
    void shouldLeaveTheBrokerAloneWhenTheRunDoesNotControlIt() {
        // Given a run against a cluster it does not own
        // When the schedule is drawn
        List<Step> steps = FaultSchedule.steps(new Random(1), 2, false);

        // Then it has no broker outage, and rounds must be at least one
        assertThat(steps).hasSize(8).doesNotContain(Step.BROKER);
        assertThatThrownBy(() -> FaultSchedule.steps(new Random(1), 0, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
