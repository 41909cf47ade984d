package dev.tokenrelay.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.assignment.ApplicationState;
import org.apache.kafka.streams.processor.assignment.AssignmentConfigs;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsAssignment;
import org.apache.kafka.streams.processor.assignment.KafkaStreamsState;
import org.apache.kafka.streams.processor.assignment.ProcessId;
import org.apache.kafka.streams.processor.assignment.TaskAssignor;
import org.apache.kafka.streams.processor.assignment.TaskInfo;
import org.apache.kafka.streams.processor.assignment.assignors.StickyTaskAssignor;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps intake and dispatch tasks on different Kafka Streams clients, so that a backlog of
 * requests never takes a stream thread's reading away from a dispatch task.
 *
 * <p>A processor runs two Kafka Streams clients of one application: one tagged
 * {@value #ROLE_TAG}={@value #INTAKE}, one {@value #ROLE_TAG}={@value #DISPATCH}. The tasks that
 * read the requests topic (named by {@value #REQUESTS_TOPIC_CONFIG}) go to the intake clients,
 * every other task to the dispatch clients (and to clients with no role, older processors); each
 * half is assigned by Kafka's own {@link StickyTaskAssignor} (balance, stickiness, standbys) as if
 * it were an application of its own. With no intake client (older processors, or a processor
 * whose intake client has not joined yet), every task is assigned by the
 * {@link StickyTaskAssignor} to every client: intake's tasks make no upstream call and may run
 * anywhere. With no dispatch client, dispatch's tasks wait unassigned until one joins, never on an
 * intake client: each would start there, re-issue the calls its store holds, and move away to
 * re-issue them again.
 */
public final class RoleTaskAssignor implements TaskAssignor {

    /** The client tag ({@link StreamsConfig#CLIENT_TAG_PREFIX}) that says a client's role. */
    public static final String ROLE_TAG = "tokenrelay-role";
    /** The role of the clients that run intake. */
    public static final String INTAKE = "intake";
    /** The role of the clients that run dispatch and anything else. */
    public static final String DISPATCH = "dispatch";
    /** The setting that names the requests topic: a task that reads it is an intake task. */
    public static final String REQUESTS_TOPIC_CONFIG = "tokenrelay.requests.topic";

    private static final Logger LOG = LoggerFactory.getLogger(RoleTaskAssignor.class);

    private String requestsTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        Object topic = configs.get(REQUESTS_TOPIC_CONFIG);
        if (topic == null) {
            throw new IllegalArgumentException(REQUESTS_TOPIC_CONFIG + " must name the requests topic");
        }
        requestsTopic = topic.toString();
    }

    @Override
    public TaskAssignment assign(ApplicationState state) {
        Map<ProcessId, KafkaStreamsState> clients = state.kafkaStreamsStates(false);
        Set<ProcessId> intakeClients = clientsOf(clients, INTAKE);
        Set<ProcessId> dispatchClients = clients.keySet().stream().filter(id -> !intakeClients.contains(id))
                .collect(Collectors.toSet());
        Set<TaskId> intakeTasks = state.allTasks().values().stream().filter(this::readsRequests).map(TaskInfo::id)
                .collect(Collectors.toSet());
        if (intakeClients.isEmpty() || intakeTasks.isEmpty()) {
            return new StickyTaskAssignor().assign(state);
        }
        List<KafkaStreamsAssignment> merged = new ArrayList<>();
        merged.addAll(new StickyTaskAssignor().assign(new Half(state, intakeClients, intakeTasks::contains))
                .assignment());
        if (dispatchClients.isEmpty()) {
            LOG.info("no dispatch client in the group yet: dispatch's tasks wait for one");
        } else {
            merged.addAll(new StickyTaskAssignor().assign(
                    new Half(state, dispatchClients, id -> !intakeTasks.contains(id))).assignment());
        }
        return new TaskAssignment(merged);
    }

    private boolean readsRequests(TaskInfo task) {
        return task.topicPartitions().stream()
                .anyMatch(partition -> partition.isSource() && partition.topicPartition().topic().equals(requestsTopic));
    }

    private static Set<ProcessId> clientsOf(Map<ProcessId, KafkaStreamsState> clients, String role) {
        return clients.values().stream().filter(client -> role.equals(client.clientTags().get(ROLE_TAG)))
                .map(KafkaStreamsState::processId).collect(Collectors.toSet());
    }

    /** The application as one role sees it: its clients, its tasks, and only its tasks in their history. */
    private static final class Half implements ApplicationState {
        private final ApplicationState whole;
        private final Set<ProcessId> clients;
        private final Predicate<TaskId> tasks;

        Half(ApplicationState whole, Set<ProcessId> clients, Predicate<TaskId> tasks) {
            this.whole = whole;
            this.clients = clients;
            this.tasks = tasks;
        }

        @Override
        public Map<ProcessId, KafkaStreamsState> kafkaStreamsStates(boolean computeTaskLags) {
            Map<ProcessId, KafkaStreamsState> states = new HashMap<>();
            whole.kafkaStreamsStates(computeTaskLags).forEach((id, client) -> {
                if (clients.contains(id)) {
                    states.put(id, new HalfClient(client, tasks));
                }
            });
            return states;
        }

        @Override
        public AssignmentConfigs assignmentConfigs() {
            return whole.assignmentConfigs();
        }

        @Override
        public Map<TaskId, TaskInfo> allTasks() {
            Map<TaskId, TaskInfo> all = new HashMap<>();
            whole.allTasks().forEach((id, task) -> {
                if (tasks.test(id)) {
                    all.put(id, task);
                }
            });
            return all;
        }
    }

    /**
     * A client with only the tasks of its half in its history: the sticky assignor would otherwise
     * count a task of the other half, previously run here, as this half's.
     */
    private static final class HalfClient implements KafkaStreamsState {
        private final KafkaStreamsState client;
        private final Predicate<TaskId> tasks;

        HalfClient(KafkaStreamsState client, Predicate<TaskId> tasks) {
            this.client = client;
            this.tasks = tasks;
        }

        private SortedSet<TaskId> only(Collection<TaskId> ids) {
            return ids.stream().filter(tasks).collect(Collectors.toCollection(TreeSet::new));
        }

        @Override
        public ProcessId processId() {
            return client.processId();
        }

        @Override
        public int numProcessingThreads() {
            return client.numProcessingThreads();
        }

        @Override
        public SortedSet<String> consumerClientIds() {
            return client.consumerClientIds();
        }

        @Override
        public SortedSet<TaskId> previousActiveTasks() {
            return only(client.previousActiveTasks());
        }

        @Override
        public SortedSet<TaskId> previousStandbyTasks() {
            return only(client.previousStandbyTasks());
        }

        @Override
        public long lagFor(TaskId task) {
            return client.lagFor(task);
        }

        @Override
        public SortedSet<TaskId> prevTasksByLag(String consumerClientId) {
            return only(client.prevTasksByLag(consumerClientId));
        }

        @Override
        public Map<TaskId, Long> statefulTasksToLagSums() {
            Map<TaskId, Long> lags = new HashMap<>();
            client.statefulTasksToLagSums().forEach((id, lag) -> {
                if (tasks.test(id)) {
                    lags.put(id, lag);
                }
            });
            return lags;
        }

        @Override
        public Optional<HostInfo> hostInfo() {
            return client.hostInfo();
        }

        @Override
        public Map<String, String> clientTags() {
            return client.clientTags();
        }

        @Override
        public Optional<String> rackId() {
            return client.rackId();
        }
    }
}
