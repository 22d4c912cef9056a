package io.strata.broker.local;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.OffsetAndMetadata;
import io.strata.broker.group.SyncResult;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.Errors;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ObjIntConsumer;

/**
 * A member of a classic consumer group living in the broker's JVM. It speaks to the group coordinator as a
 * kafka-clients consumer does over the wire (JoinGroup, SyncGroup, Heartbeat, OffsetCommit, LeaveGroup, with the
 * consumer protocol's subscription and assignment format and the range assignor), so local and remote members
 * share one group. Rebalances are eager: a member gives up its partitions and rejoins when the coordinator asks.
 *
 * <p>Not thread-safe, like a Kafka consumer: one thread polls and commits; a heartbeat thread of its own keeps the
 * membership alive between polls.
 */
final class LocalGroupMember implements Strata.GroupSubscription {

    private static final System.Logger LOG = System.getLogger(LocalGroupMember.class.getName());
    private static final String PROTOCOL = "range";
    private static final int SESSION_TIMEOUT_MS = 45_000;
    private static final int REBALANCE_TIMEOUT_MS = 300_000;
    private static final long HEARTBEAT_INTERVAL_MS = 3_000;
    private static final int MAX_POLL_RECORDS = 500;
    /** How long the member's own thread waits for one answer of the group coordinator. */
    private static final long COORDINATOR_WAIT_MS = 30_000;

    private final LocalStrata strata;
    private final GroupCoordinator coordinator;
    private final ReplicaManager replicas;
    private final Controller controller;
    private final String groupId;
    private final List<String> topics;
    private final String clientId;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private final ObjIntConsumer<TopicPartition> appendListener = this::onAppend;
    private final Thread heartbeats;

    private volatile String memberId = "";
    private volatile int generation = -1;
    private volatile boolean needsRejoin = true;
    private volatile boolean closed;
    private volatile Set<TopicPartition> assignment = Set.of();
    private final Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    private long signals;

    LocalGroupMember(LocalStrata strata, GroupCoordinator coordinator, ReplicaManager replicas, Controller controller,
                     String groupId, List<String> topics, String clientId, ThreadFactory threads) {
        this.strata = strata;
        this.coordinator = coordinator;
        this.replicas = replicas;
        this.controller = controller;
        this.groupId = groupId;
        this.topics = topics;
        this.clientId = clientId;
        replicas.addAppendListener(appendListener);
        heartbeats = threads.newThread(this::heartbeatLoop);
        heartbeats.setName("strata-local-heartbeat-" + clientId);
        heartbeats.setDaemon(true);
        heartbeats.start();
    }

    @Override
    public List<StoredRecord> poll(Duration timeout) {
        ensureOpen();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (needsRejoin) {
                rejoin(deadline);
            }
            long seen = signalsSeen();
            List<StoredRecord> records = fetch();
            if (!records.isEmpty()) {
                return records;
            }
            long waitNanos = deadline - System.nanoTime();
            if (waitNanos <= 0) {
                return records;
            }
            awaitSignal(seen, Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_INTERVAL_MS)));
        }
    }

    private List<StoredRecord> fetch() {
        List<StoredRecord> out = new ArrayList<>();
        for (TopicPartition tp : assignment) {
            Partition partition = replicas.partition(tp);
            Long position = positions.get(tp);
            if (partition == null || position == null) {
                continue;
            }
            long next = Math.max(position, partition.log().logStartOffset());
            while (out.size() < MAX_POLL_RECORDS && next < partition.highWatermark()) {
                long before = next;
                next = strata.readChunk(partition, next, MAX_POLL_RECORDS, out);
                if (next == before) {
                    break;
                }
            }
            positions.put(tp, next);
            if (out.size() >= MAX_POLL_RECORDS) {
                break;
            }
        }
        return out;
    }

    @Override
    public void commit() {
        ensureOpen();
        if (positions.isEmpty()) {
            return;
        }
        List<GroupCoordinator.OffsetCommit> commits = new ArrayList<>();
        positions.forEach((tp, offset) -> commits.add(new GroupCoordinator.OffsetCommit(tp, offset, -1, "")));
        for (GroupCoordinator.CommitResult result : GroupCoordinator.await(coordinator.commitOffsets(groupId, memberId,
                null, generation, commits), COORDINATOR_WAIT_MS)) {
            Errors error = result.error();
            if (error == Errors.ILLEGAL_GENERATION || error == Errors.UNKNOWN_MEMBER_ID
                    || error == Errors.REBALANCE_IN_PROGRESS || error == Errors.FENCED_INSTANCE_ID) {
                needsRejoin = true;
                throw new CommitFailedException("Commit of group " + groupId + " failed: the group rebalanced ("
                        + error.name() + "); the partitions may now belong to another member. Poll again.");
            }
            if (error != Errors.NONE) {
                throw error.exception("Commit of " + result.topicPartition() + " in group " + groupId + " failed");
            }
        }
    }

    @Override
    public List<TopicPartition> assignment() {
        return List.copyOf(assignment);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeats.interrupt();
        replicas.removeAppendListener(appendListener);
        if (!memberId.isEmpty()) {
            coordinator.leaveGroup(groupId, List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId(memberId)
                    .setReason("the local member was closed")));
        }
        assignment = Set.of();
    }

    // ---------------------------------------------------------------------------------------------------- joining

    /** Joins (again) and syncs, until the member has an assignment or the deadline passes. */
    private void rejoin(long deadlineNanos) {
        assignment = Set.of();
        positions.clear();
        while (needsRejoin && !closed) {
            needsRejoin = false;
            JoinGroupResponseData join = await(joinGroup(), REBALANCE_TIMEOUT_MS + 10_000L);
            Errors error = Errors.forCode(join.errorCode());
            if (error == Errors.MEMBER_ID_REQUIRED) {
                memberId = join.memberId();
                needsRejoin = true;
                continue;
            }
            if (error == Errors.UNKNOWN_MEMBER_ID) {
                memberId = "";
                needsRejoin = true;
                continue;
            }
            if (error == Errors.REBALANCE_IN_PROGRESS || error == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                needsRejoin = true;
                if (System.nanoTime() > deadlineNanos) {
                    return;
                }
                continue;
            }
            if (error != Errors.NONE) {
                needsRejoin = true;
                throw error.exception("Joining group " + groupId + " failed");
            }
            memberId = join.memberId();
            generation = join.generationId();
            SyncResult sync = await(syncGroup(join), REBALANCE_TIMEOUT_MS + 10_000L);
            Errors syncError = Errors.forCode(sync.errorCode());
            if (syncError == Errors.UNKNOWN_MEMBER_ID) {
                memberId = "";
            }
            if (syncError != Errors.NONE) {
                needsRejoin = true;
                if (syncError != Errors.REBALANCE_IN_PROGRESS && syncError != Errors.ILLEGAL_GENERATION
                        && syncError != Errors.UNKNOWN_MEMBER_ID) {
                    throw syncError.exception("Syncing group " + groupId + " failed");
                }
                continue;
            }
            takeAssignment(sync.assignment());
        }
    }

    private CompletableFuture<JoinGroupResponseData> joinGroup() {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        ByteBuffer subscription = ConsumerProtocol.serializeSubscription(
                new ConsumerPartitionAssignor.Subscription(topics));
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName(PROTOCOL)
                .setMetadata(bytes(subscription)));
        JoinGroupRequestData request = new JoinGroupRequestData().setGroupId(groupId).setMemberId(memberId)
                .setSessionTimeoutMs(SESSION_TIMEOUT_MS).setRebalanceTimeoutMs(REBALANCE_TIMEOUT_MS)
                .setProtocolType(ConsumerProtocol.PROTOCOL_TYPE).setProtocols(protocols)
                .setReason("a local member polls");
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        coordinator.joinGroup(request, (short) 9, clientId, "localhost", response::complete);
        return response;
    }

    private CompletableFuture<SyncResult> syncGroup(JoinGroupResponseData join) {
        List<SyncGroupRequestData.SyncGroupRequestAssignment> assignments = new ArrayList<>();
        if (join.leader().equals(join.memberId())) {
            assign(join).forEach((member, assigned) -> assignments.add(
                    new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(member)
                            .setAssignment(bytes(ConsumerProtocol.serializeAssignment(assigned)))));
        }
        SyncGroupRequestData request = new SyncGroupRequestData().setGroupId(groupId).setMemberId(memberId)
                .setGenerationId(generation).setProtocolType(ConsumerProtocol.PROTOCOL_TYPE)
                .setProtocolName(join.protocolName()).setAssignments(assignments);
        CompletableFuture<SyncResult> response = new CompletableFuture<>();
        coordinator.syncGroup(request, response::complete);
        return response;
    }

    /** As leader: the range assignor's split of every member's subscribed partitions. */
    private Map<String, ConsumerPartitionAssignor.Assignment> assign(JoinGroupResponseData join) {
        Map<String, ConsumerPartitionAssignor.Subscription> subscriptions = new HashMap<>();
        List<PartitionInfo> partitions = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        Node self = new Node(replicas.brokerId(), "localhost", 0);
        for (JoinGroupResponseData.JoinGroupResponseMember member : join.members()) {
            ConsumerPartitionAssignor.Subscription subscription =
                    ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(member.metadata()));
            subscription.setGroupInstanceId(Optional.ofNullable(member.groupInstanceId()));
            subscriptions.put(member.memberId(), subscription);
            for (String topic : subscription.topics()) {
                TopicImage image = controller.image().topic(topic);
                if (image != null && seen.add(topic)) {
                    for (int p = 0; p < image.partitionCount(); p++) {
                        partitions.add(new PartitionInfo(topic, p, self, new Node[]{self}, new Node[]{self}));
                    }
                }
            }
        }
        Cluster cluster = new Cluster(controller.image().clusterId(), List.of(self), partitions, Set.of(), Set.of());
        return new RangeAssignor().assign(cluster, new ConsumerPartitionAssignor.GroupSubscription(subscriptions))
                .groupAssignment();
    }

    private void takeAssignment(byte[] bytes) {
        List<TopicPartition> partitions = bytes.length == 0 ? List.of()
                : ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(bytes)).partitions();
        Map<TopicPartition, OffsetAndMetadata> committed = GroupCoordinator.await(
                coordinator.fetchOffsets(groupId, partitions), COORDINATOR_WAIT_MS);
        positions.clear();
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata offset = committed.get(tp);
            Partition partition = replicas.partition(tp);
            long start = partition == null ? 0 : partition.log().logStartOffset();
            positions.put(tp, offset != null ? Math.max(offset.offset(), start) : start);
        }
        assignment = Set.copyOf(partitions);
        LOG.log(System.Logger.Level.INFO, "Local member {0} of group {1} has {2} in generation {3}", memberId,
                groupId, partitions, generation);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private <T> T await(CompletableFuture<T> future, long timeoutMs) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } catch (ExecutionException e) {
            throw new KafkaException("The group coordinator failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("Group " + groupId
                    + " did not answer within " + timeoutMs + " ms");
        }
    }

    // ---------------------------------------------------------------------------------------------------- liveness

    private void heartbeatLoop() {
        while (!closed) {
            try {
                Thread.sleep(HEARTBEAT_INTERVAL_MS);
            } catch (InterruptedException e) {
                return;
            }
            String member = memberId;
            int currentGeneration = generation;
            if (member.isEmpty() || currentGeneration < 0 || needsRejoin) {
                continue;
            }
            Errors error;
            try {
                error = GroupCoordinator.await(coordinator.heartbeat(groupId, member, null, currentGeneration),
                        COORDINATOR_WAIT_MS);
            } catch (org.apache.kafka.common.errors.ApiException e) {
                error = Errors.forException(e);
            }
            if (error == Errors.UNKNOWN_MEMBER_ID) {
                memberId = "";
            }
            if (error != Errors.NONE) {
                needsRejoin = true;
                signal();
            }
        }
    }

    private void onAppend(TopicPartition tp, int bytes) {
        if (assignment.contains(tp)) {
            signal();
        }
    }

    private void signal() {
        lock.lock();
        try {
            signals++;
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private long signalsSeen() {
        lock.lock();
        try {
            return signals;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until something arrives after {@code seen} signals, or the time is up. */
    private void awaitSignal(long seen, long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (signals == seen && left > 0) {
                left = wakeUp.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("This subscription to group " + groupId + " is closed");
        }
    }
}
