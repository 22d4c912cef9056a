package io.strata.broker.local;

import org.apache.kafka.common.errors.ApiException;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Strata's native API for code running beside the broker, in the same JVM: topics, partitions and offsets, without
 * a network hop. Writes go through the same validation as the Kafka protocol's Produce (record batch checks,
 * {@code max.message.bytes}, internal topics refused) and are acknowledged as with {@code acks=all}; reads see what
 * a Kafka consumer sees, up to the high watermark. Groups joined here are classic consumer groups, shared with
 * kafka-clients consumers of the same group.
 *
 * <p>Failures are kafka-clients' own exceptions ({@link ApiException} subclasses such as
 * {@code UnknownTopicOrPartitionException} or {@code RecordTooLargeException}) with a message that says what was
 * wrong. Thread-safe.
 */
public interface Strata {

    /**
     * Writes one record and returns where it was stored, as a produce with acks=all: once every in-sync replica has
     * it, or with a {@code TimeoutException} after 30 s. The topic is created if auto-creation is on.
     */
    RecordPosition send(OutgoingRecord record);

    /**
     * Reads a partition from {@code offset}: at most {@code maxRecords} records, as many as are there now (an empty
     * list at the end of the log). An offset below the log start reads from the log start.
     */
    List<StoredRecord> read(String topic, int partition, long offset, int maxRecords);

    /** The first offset still in the partition and the offset the next record will get (the high watermark). */
    OffsetRange offsets(String topic, int partition);

    /**
     * Joins consumer group {@code groupId} for {@code topics}: the group's partitions are divided among its members,
     * local and remote, and positions start at the group's committed offsets (else at the log start).
     */
    GroupSubscription subscribe(String groupId, Collection<String> topics);

    TopicInfo createTopic(String name, int partitions, Map<String, String> configs);

    /** @throws org.apache.kafka.common.errors.UnknownTopicOrPartitionException if there is no such topic */
    TopicInfo describeTopic(String name);

    /** Names of the topics clients see (internal ones left out), sorted. */
    List<String> listTopics();

    /** Deletes the topic and its records. */
    void deleteTopic(String name);

    /** The group's state, members and, per partition it committed, its committed offset, end offset and lag. */
    GroupInfo describeGroup(String groupId);

    /** The ids of the groups this broker coordinates, sorted. */
    List<String> listGroups();

    /** A group membership: poll, commit, close. One thread at a time, as with a Kafka consumer. */
    interface GroupSubscription extends AutoCloseable {

        /** Waits up to {@code timeout} for records of the partitions this member is assigned, and returns them. */
        List<StoredRecord> poll(Duration timeout);

        /** Commits the position after the records polled so far, for every partition assigned. */
        void commit();

        /** The partitions this member has now. */
        List<org.apache.kafka.common.TopicPartition> assignment();

        /** Leaves the group, so that its partitions move to the other members at once. */
        @Override
        void close();
    }
}
