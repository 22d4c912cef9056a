package io.strata.broker.local;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.OffsetAndMetadata;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.NewTopic;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.metadata.TopicResult;
import io.strata.broker.partition.AppendResult;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.server.BrokerMetrics;
import io.strata.storage.batch.AppendOrigin;
import io.strata.storage.log.LogReadResult;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Strata} over the broker in this JVM: writes and reads go to the partitions directly, groups to the group
 * coordinator, topics to the controller. Thread-safe.
 */
public final class LocalStrata implements Strata {

    private static final int READ_CHUNK_BYTES = 1 << 20;
    /** How long a caller of the native API waits for the group coordinator. */
    private static final long COORDINATOR_WAIT_MS = 30_000;
    /**
     * How long {@link #send} waits for the in-sync replicas: the default {@code request.timeout.ms} of a Kafka
     * producer, whose acks=all request waits as long.
     */
    static final long SEND_REPLICATION_TIMEOUT_MS = 30_000;

    private final BrokerConfig config;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final GroupCoordinator groups;
    private final BrokerMetrics metrics;
    private final ThreadFactory threads;
    private final Clock clock;
    private final Map<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();
    private final AtomicInteger clientIds = new AtomicInteger();

    public LocalStrata(BrokerConfig config, Controller controller, ReplicaManager replicas, GroupCoordinator groups,
                       BrokerMetrics metrics, ThreadFactory threads, Clock clock) {
        this.config = config;
        this.controller = controller;
        this.replicas = replicas;
        this.groups = groups;
        this.metrics = metrics;
        this.threads = threads;
        this.clock = clock;
    }

    // ---------------------------------------------------------------------------------------------------- records

    @Override
    public RecordPosition send(OutgoingRecord record) {
        TopicImage topic = topicForWriting(record.topic());
        int partitionIndex = record.partition() != null ? record.partition() : choosePartition(topic, record.key());
        if (partitionIndex < 0 || partitionIndex >= topic.partitionCount()) {
            throw new UnknownTopicOrPartitionException("Topic " + topic.name() + " has partitions 0 to "
                    + (topic.partitionCount() - 1) + ", not " + partitionIndex);
        }
        TopicPartition tp = new TopicPartition(topic.name(), partitionIndex);
        Partition partition = partitionOf(tp);
        long timestamp = record.timestamp() != null ? record.timestamp() : clock.millis();
        MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(timestamp, record.key(),
                record.value(), record.headers().toArray(new Header[0])));
        AppendResult result = partition.appendAsLeader(batch, (short) -1, AppendOrigin.CLIENT);
        metrics.recordBytesIn(result.sizeInBytes());
        metrics.recordRecordsIn(result.recordCount());
        replicas.notifyAppended(tp, result.sizeInBytes());
        awaitInSyncReplicas(partition, result.lastOffset());
        return new RecordPosition(topic.name(), partitionIndex, result.firstOffset(),
                result.logAppendTimeMs() >= 0 ? result.logAppendTimeMs() : timestamp);
    }

    /**
     * Waits, as a produce with acks=all does, until every in-sync replica has the records up to {@code lastOffset} and
     * the high watermark has passed them, for at most {@link #SEND_REPLICATION_TIMEOUT_MS}.
     *
     * @throws org.apache.kafka.common.errors.TimeoutException if the replicas did not catch up in time: the record
     *         is on the leader and may still be committed, or be lost if the leader fails first
     * @throws ApiException NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below {@code min.insync.replicas}
     *         meanwhile, NOT_LEADER_OR_FOLLOWER if this broker stopped leading the partition
     */
    private static void awaitInSyncReplicas(Partition partition, long lastOffset) {
        CompletableFuture<Void> replicated = partition.awaitReplication(lastOffset);
        try {
            replicated.get(SEND_REPLICATION_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            partition.cancelWaiter(replicated);
            throw new org.apache.kafka.common.errors.TimeoutException("Record " + lastOffset + " of " + partition
                    + " was written on the leader but the in-sync replicas " + partition.assignment().isr()
                    + " did not all have it within " + SEND_REPLICATION_TIMEOUT_MS + " ms; it may still be committed,"
                    + " or be lost if the leader fails first: check that the followers are fetching");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ApiException cause) {
                throw cause;
            }
            throw new KafkaException("Waiting for the in-sync replicas of " + partition + " failed", e.getCause());
        } catch (InterruptedException e) {
            partition.cancelWaiter(replicated);
            Thread.currentThread().interrupt();
            throw new InterruptException("Interrupted while waiting for the in-sync replicas of " + partition, e);
        }
    }

    /** The topic to write to: an existing one that clients may write, or one created now if auto-creation is on. */
    private TopicImage topicForWriting(String name) {
        if (Topic.isInternal(name)) {
            throw new InvalidTopicException("Cannot append to internal topic " + name);
        }
        TopicImage topic = controller.image().topic(name);
        if (topic != null) {
            return topic;
        }
        if (!config.autoCreateTopicsEnable) {
            throw new UnknownTopicOrPartitionException("Topic " + name + " does not exist, and "
                    + BrokerConfig.AUTO_CREATE_TOPICS_ENABLE + " is false");
        }
        Topic.validate(name);
        TopicResult created = controller.createTopics(List.of(NewTopic.of(name, -1, (short) -1)), false).get(0);
        topic = controller.image().topic(name);
        if (topic == null) {
            throw created.error().exception();
        }
        return topic;
    }

    /** Kafka's default partitioner: murmur2 of the key; keyless records go round the partitions. */
    private int choosePartition(TopicImage topic, byte[] key) {
        if (key != null) {
            return Utils.toPositive(Utils.murmur2(key)) % topic.partitionCount();
        }
        int next = roundRobin.computeIfAbsent(topic.name(), t -> new AtomicInteger()).getAndIncrement();
        return Utils.toPositive(next) % topic.partitionCount();
    }

    @Override
    public List<StoredRecord> read(String topic, int partitionIndex, long offset, int maxRecords) {
        if (maxRecords <= 0) {
            throw new IllegalArgumentException("maxRecords must be positive, not " + maxRecords);
        }
        Partition partition = readablePartition(topic, partitionIndex);
        List<StoredRecord> out = new ArrayList<>();
        long next = Math.max(offset, partition.log().logStartOffset());
        long end = partition.highWatermark();
        if (offset > end) {
            throw new OffsetOutOfRangeException("Offset " + offset + " is beyond the end of " + partition
                    .topicPartition() + ", " + end);
        }
        while (out.size() < maxRecords && next < end) {
            long before = next;
            next = readChunk(partition, next, maxRecords, out);
            if (next == before) {
                break;
            }
        }
        return out;
    }

    /** Reads one chunk from {@code from}, adding up to the records wanted; returns the offset to go on from. */
    long readChunk(Partition partition, long from, int maxRecords, List<StoredRecord> out) {
        TopicPartition tp = partition.topicPartition();
        ByteBuffer bytes;
        try (LogReadResult read = partition.readForConsumer(from, READ_CHUNK_BYTES, true)) {
            bytes = read.records().readAll();
        } catch (IOException e) {
            throw new KafkaStorageException("Reading " + tp + " at offset " + from + " failed: " + e.getMessage(), e);
        }
        long next = from;
        for (RecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
            if (batch.isControlBatch()) {
                next = batch.lastOffset() + 1;
                continue;
            }
            for (Record record : batch) {
                if (record.offset() < from) {
                    continue;
                }
                if (out.size() == maxRecords) {
                    return next;
                }
                long timestamp = batch.timestampType() == TimestampType.LOG_APPEND_TIME ? batch.maxTimestamp()
                        : record.timestamp();
                List<Header> headers = new ArrayList<>(record.headers().length);
                for (Header header : record.headers()) {
                    headers.add(new RecordHeader(header.key(), header.value()));
                }
                out.add(new StoredRecord(tp.topic(), tp.partition(), record.offset(), timestamp,
                        bytesOf(record.key()), bytesOf(record.value()), List.copyOf(headers)));
                next = record.offset() + 1;
            }
            next = Math.max(next, batch.lastOffset() + 1);
        }
        return next;
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        return buffer == null ? null : Utils.toArray(buffer);
    }

    @Override
    public OffsetRange offsets(String topic, int partitionIndex) {
        Partition partition = readablePartition(topic, partitionIndex);
        return new OffsetRange(partition.log().logStartOffset(), partition.highWatermark());
    }

    private Partition readablePartition(String topic, int partitionIndex) {
        TopicImage image = controller.image().topic(topic);
        if (image == null || partitionIndex < 0 || partitionIndex >= image.partitionCount()) {
            throw new UnknownTopicOrPartitionException("There is no partition " + partitionIndex + " of topic "
                    + topic);
        }
        return partitionOf(new TopicPartition(topic, partitionIndex));
    }

    private Partition partitionOf(TopicPartition tp) {
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            throw new UnknownTopicOrPartitionException("This broker does not host " + tp);
        }
        return partition;
    }

    // ---------------------------------------------------------------------------------------------------- groups

    @Override
    public GroupSubscription subscribe(String groupId, Collection<String> topics) {
        if (groupId == null || groupId.isEmpty()) {
            throw new org.apache.kafka.common.errors.InvalidGroupIdException("A group id is required");
        }
        for (String topic : topics) {
            if (controller.image().topic(topic) == null) {
                topicForWriting(topic); // auto-created as a Kafka consumer's metadata request would
            }
        }
        return new LocalGroupMember(this, groups, replicas, controller, groupId, List.copyOf(topics),
                "strata-local-" + clientIds.incrementAndGet(), threads);
    }

    @Override
    public GroupInfo describeGroup(String groupId) {
        GroupCoordinator.GroupSummary summary = GroupCoordinator.await(groups.describeGroup(groupId),
                COORDINATOR_WAIT_MS);
        if (summary.error() != Errors.NONE && summary.error() != Errors.GROUP_ID_NOT_FOUND) {
            throw summary.error().exception("Describing group " + groupId + " failed");
        }
        List<GroupInfo.Member> members = new ArrayList<>();
        for (GroupCoordinator.MemberSummary member : summary.members()) {
            List<String> assigned = new ArrayList<>();
            if (member.assignment().length > 0 && "consumer".equals(summary.protocolType())) {
                ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(member.assignment())).partitions()
                        .forEach(tp -> assigned.add(tp.toString()));
            }
            members.add(new GroupInfo.Member(member.memberId(), member.groupInstanceId(), member.clientId(),
                    member.clientHost(), assigned));
        }
        List<GroupInfo.PartitionLag> lags = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = summary.error() == Errors.NONE
                ? GroupCoordinator.await(groups.fetchOffsets(groupId, null), COORDINATOR_WAIT_MS) : Map.of();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> committed : offsets.entrySet()) {
            TopicPartition tp = committed.getKey();
            Partition partition = replicas.partition(tp);
            long end = partition == null ? -1 : partition.highWatermark();
            long offset = committed.getValue().offset();
            lags.add(new GroupInfo.PartitionLag(tp.topic(), tp.partition(), offset, end,
                    end < 0 ? -1 : Math.max(0, end - offset)));
        }
        lags.sort(java.util.Comparator.comparing(GroupInfo.PartitionLag::topic)
                .thenComparingInt(GroupInfo.PartitionLag::partition));
        return new GroupInfo(groupId, summary.state().display(), summary.protocolName(), members, lags);
    }

    @Override
    public List<String> listGroups() {
        return GroupCoordinator.await(groups.listGroups(), COORDINATOR_WAIT_MS).stream()
                .map(GroupCoordinator.GroupListing::groupId).sorted().toList();
    }

    // ---------------------------------------------------------------------------------------------------- topics

    @Override
    public TopicInfo createTopic(String name, int partitions, Map<String, String> configs) {
        if (Topic.isInternal(name)) {
            throw new InvalidTopicException("Topic " + name + " is internal and cannot be created by clients");
        }
        TopicResult result = controller.createTopics(List.of(new NewTopic(name, partitions, (short) -1, Map.of(),
                configs)), false).get(0);
        throwIfFailed(result.error());
        return describeTopic(name);
    }

    @Override
    public TopicInfo describeTopic(String name) {
        TopicImage topic = controller.image().topic(name);
        if (topic == null) {
            throw new UnknownTopicOrPartitionException("Topic " + name + " does not exist");
        }
        return new TopicInfo(topic.name(), topic.id().toString(), topic.partitionCount(),
                topic.partitions().get(0).replicas().size(), topic.configs());
    }

    @Override
    public List<String> listTopics() {
        return controller.image().topicsByName().keySet().stream().filter(t -> !Topic.isInternal(t)).sorted()
                .toList();
    }

    @Override
    public void deleteTopic(String name) {
        if (Topic.isInternal(name)) {
            throw new InvalidTopicException("Topic " + name + " is internal and cannot be deleted");
        }
        TopicImage topic = controller.image().topic(name);
        if (topic == null) {
            throw new UnknownTopicOrPartitionException("Topic " + name + " does not exist");
        }
        throwIfFailed(controller.deleteTopics(List.of(new Controller.TopicRef(name, topic.id()))).get(0).error());
    }

    private static void throwIfFailed(ApiError error) {
        if (error.isFailure()) {
            ApiException exception = error.exception();
            throw exception;
        }
    }
}
