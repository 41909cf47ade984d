package dev.tokenrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.assignment.ApplicationState;
import org.apache.kafka.streams.processor.assignment.AssignmentConfigs;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment.AssignedTask;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsState;
import org.apache.kafka.streams.processor.assignment.ProcessId;
import org.apache.kafka.streams.processor.assignment.TaskAssignmentUtils;
import org.apache.kafka.streams.processor.assignment.TaskAssignor;
import org.apache.kafka.streams.processor.assignment.TaskInfo;
import org.apache.kafka.streams.processor.assignment.TaskTopicPartition;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

/** Intake tasks on intake clients, dispatch tasks on dispatch clients, each half balanced and sticky. */
class RoleTaskAssignorTest {

    private static final String REQUESTS = "app.requests";
    private static final String ATTEMPTS = "app.attempts";
    private static final int PARTITIONS = 4;

    @Test
    void shouldRunIntakeTasksOnlyOnIntakeClientsAndDispatchTasksOnlyOnDispatchClients() {
        // Given two processors, each with an intake client of 1 thread and a dispatch client of 2
        Client intakeA = client("intake", 1);
        Client dispatchA = client("dispatch", 2);
        Client intakeB = client("intake", 1);
        Client dispatchB = client("dispatch", 2);

        // When the tasks are assigned
        Map<ProcessId, Set<TaskId>> active = active(assign(0, intakeA, dispatchA, intakeB, dispatchB));

        // Then each intake client runs half the intake tasks and nothing else, and so for dispatch
        assertThat(active.get(intakeA.processId())).hasSize(2).allMatch(task -> task.subtopology() == 0);
        assertThat(active.get(intakeB.processId())).hasSize(2).allMatch(task -> task.subtopology() == 0);
        assertThat(active.get(dispatchA.processId())).hasSize(2).allMatch(task -> task.subtopology() == 1);
        assertThat(active.get(dispatchB.processId())).hasSize(2).allMatch(task -> task.subtopology() == 1);
    }

    @Test
    void shouldGiveEveryClientBackTheTasksItRanBefore() {
        // Given clients that ran an uneven but valid share of their role's tasks
        Client intakeA = client("intake", 1, task(0, 0), task(0, 3));
        Client dispatchA = client("dispatch", 2, task(1, 1), task(1, 2));
        Client intakeB = client("intake", 1, task(0, 1), task(0, 2));
        Client dispatchB = client("dispatch", 2, task(1, 0), task(1, 3));

        // When the tasks are assigned again
        Map<ProcessId, Set<TaskId>> active = active(assign(0, intakeA, dispatchA, intakeB, dispatchB));

        // Then no task moves
        assertThat(active.get(intakeA.processId())).containsExactlyInAnyOrder(task(0, 0), task(0, 3));
        assertThat(active.get(intakeB.processId())).containsExactlyInAnyOrder(task(0, 1), task(0, 2));
        assertThat(active.get(dispatchA.processId())).containsExactlyInAnyOrder(task(1, 1), task(1, 2));
        assertThat(active.get(dispatchB.processId())).containsExactlyInAnyOrder(task(1, 0), task(1, 3));
    }

    @Test
    void shouldMoveTheTasksOfTheOtherRoleAwayFromAClientThatRanEverything() {
        // Given a dispatch client that ran every task (before intake ran apart) and a new intake client
        Client dispatch = client("dispatch", 2, task(0, 0), task(0, 1), task(0, 2), task(0, 3),
                task(1, 0), task(1, 1), task(1, 2), task(1, 3));
        Client intake = client("intake", 1);

        // When the tasks are assigned
        Map<ProcessId, Set<TaskId>> active = active(assign(0, dispatch, intake));

        // Then intake's tasks move to the intake client and dispatch keeps its own
        assertThat(active.get(intake.processId())).hasSize(PARTITIONS).allMatch(task -> task.subtopology() == 0);
        assertThat(active.get(dispatch.processId())).hasSize(PARTITIONS).allMatch(task -> task.subtopology() == 1);
    }

    @Test
    void shouldKeepStandbysWithinTheirRole() {
        // Given two processors and one standby replica per stateful task
        Client intakeA = client("intake", 1);
        Client dispatchA = client("dispatch", 2);
        Client intakeB = client("intake", 1);
        Client dispatchB = client("dispatch", 2);

        // When the tasks are assigned
        Collection<KafkaStreamsAssignment> assignment = assign(1, intakeA, dispatchA, intakeB, dispatchB);

        // Then every task has a standby, on a client of its role other than its active one
        for (KafkaStreamsAssignment client : assignment) {
            boolean intake = client.processId().equals(intakeA.processId())
                    || client.processId().equals(intakeB.processId());
            assertThat(client.tasks().values()).hasSize(PARTITIONS)
                    .allMatch(task -> task.id().subtopology() == (intake ? 0 : 1));
            assertThat(client.tasks().values()).filteredOn(task -> task.type() == AssignedTask.Type.STANDBY)
                    .hasSize(2);
        }
    }

    @Test
    void shouldAssignEverythingToEveryClientWhenARoleHasNoClient() {
        // Given two clients of an older processor, without a role
        Client first = client(null, 2);
        Client second = client(null, 2);

        // When the tasks are assigned
        Map<ProcessId, Set<TaskId>> active = active(assign(0, first, second));

        // Then every task runs, spread over both
        assertThat(active.get(first.processId())).hasSize(PARTITIONS);
        assertThat(active.get(second.processId())).hasSize(PARTITIONS);
        assertThat(active.values().stream().flatMap(Set::stream).collect(Collectors.toSet())).hasSize(2 * PARTITIONS);
    }

    @Test
    void shouldKeepDispatchTasksOffIntakeClientsWhileNoDispatchClientHasJoined() {
        // Given only the intake client of a processor that is starting
        Client intake = client("intake", 1);

        // When the tasks are assigned
        Map<ProcessId, Set<TaskId>> active = active(assign(0, intake));

        // Then it runs intake's tasks, and dispatch's wait for a dispatch client
        assertThat(active.get(intake.processId())).hasSize(PARTITIONS).allMatch(task -> task.subtopology() == 0);
    }

    private static Collection<KafkaStreamsAssignment> assign(int standbys, Client... clients) {
        RoleTaskAssignor assignor = new RoleTaskAssignor();
        assignor.configure(Map.of(RoleTaskAssignor.REQUESTS_TOPIC_CONFIG, REQUESTS));
        Application application = new Application(List.of(clients), standbys);
        TaskAssignor.TaskAssignment assignment = assignor.assign(application);
        assertThat(TaskAssignmentUtils.validateTaskAssignment(application, assignment))
                .isEqualTo(TaskAssignor.AssignmentError.NONE);
        return assignment.assignment();
    }

    private static Map<ProcessId, Set<TaskId>> active(Collection<KafkaStreamsAssignment> assignment) {
        Map<ProcessId, Set<TaskId>> active = new HashMap<>();
        for (KafkaStreamsAssignment client : assignment) {
            active.put(client.processId(), client.tasks().values().stream()
                    .filter(task -> task.type() == AssignedTask.Type.ACTIVE).map(AssignedTask::id)
                    .collect(Collectors.toSet()));
        }
        return active;
    }

    private static TaskId task(int subtopology, int partition) {
        return new TaskId(subtopology, partition);
    }

    private static Client client(String role, int threads, TaskId... previous) {
        return new Client(new ProcessId(UUID.randomUUID()), role == null ? Map.of()
                : Map.of(RoleTaskAssignor.ROLE_TAG, role), threads, new TreeSet<>(List.of(previous)));
    }

    /** Intake tasks read the requests topic, dispatch tasks the attempts topic; both have a changelog. */
    private record Application(List<Client> clients, int standbys) implements ApplicationState {

        @Override
        public Map<ProcessId, KafkaStreamsState> kafkaStreamsStates(boolean computeTaskLags) {
            Map<ProcessId, KafkaStreamsState> states = new LinkedHashMap<>();
            clients.forEach(client -> states.put(client.processId(), client));
            return states;
        }

        @Override
        public AssignmentConfigs assignmentConfigs() {
            return new AssignmentConfigs(10_000L, 2, standbys, 600_000L, List.of());
        }

        @Override
        public Map<TaskId, TaskInfo> allTasks() {
            Map<TaskId, TaskInfo> tasks = new HashMap<>();
            for (int partition = 0; partition < PARTITIONS; partition++) {
                tasks.put(task(0, partition), new Task(task(0, partition), REQUESTS, "app-dedupe-changelog"));
                tasks.put(task(1, partition), new Task(task(1, partition), ATTEMPTS, "app-queue-changelog"));
            }
            return tasks;
        }
    }

    private record Task(TaskId id, String source, String changelog) implements TaskInfo {

        @Override
        public boolean isStateful() {
            return true;
        }

        @Override
        public Set<String> stateStoreNames() {
            return Set.of(changelog);
        }

        @Override
        public Set<TaskTopicPartition> topicPartitions() {
            return Set.of(new Partition(new TopicPartition(source, id.partition()), true, false),
                    new Partition(new TopicPartition(changelog, id.partition()), false, true));
        }
    }

    private record Partition(TopicPartition topicPartition, boolean isSource, boolean isChangelog)
            implements TaskTopicPartition {

        @Override
        public Optional<Set<String>> rackIds() {
            return Optional.empty();
        }
    }

    private record Client(ProcessId processId, Map<String, String> clientTags, int numProcessingThreads,
            SortedSet<TaskId> previousActiveTasks) implements KafkaStreamsState {

        @Override
        public SortedSet<String> consumerClientIds() {
            SortedSet<String> ids = new TreeSet<>();
            for (int thread = 1; thread <= numProcessingThreads; thread++) {
                ids.add(processId + "-StreamThread-" + thread + "-consumer");
            }
            return ids;
        }

        @Override
        public SortedSet<TaskId> previousStandbyTasks() {
            return new TreeSet<>();
        }

        @Override
        public long lagFor(TaskId task) {
            return 0;
        }

        @Override
        public SortedSet<TaskId> prevTasksByLag(String consumerClientId) {
            return new TreeSet<>(previousActiveTasks);
        }

        @Override
        public Map<TaskId, Long> statefulTasksToLagSums() {
            Map<TaskId, Long> lags = new HashMap<>();
            previousActiveTasks.forEach(task -> lags.put(task, 0L));
            return lags;
        }

        @Override
        public Optional<HostInfo> hostInfo() {
            return Optional.empty();
        }

        @Override
        public Optional<String> rackId() {
            return Optional.empty();
        }
    }
}
