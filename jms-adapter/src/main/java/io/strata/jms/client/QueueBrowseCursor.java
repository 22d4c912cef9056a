package io.strata.jms.client;

import io.strata.jms.message.StrataMessage;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.Queue;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One enumeration of a {@link StrataQueueBrowser}: the records of the queue's topic from where its share group starts
 * (the share-partition start offset, {@code Admin.listShareGroupOffsets}; the log start when the group has no state
 * yet) to the end when the enumeration was made (the last stable offset: a read-committed consumer, so that aborted
 * and open transactions do not show), read by a plain consumer without a group, which acquires and acknowledges
 * nothing. Records are read lazily, at most {@code prefetch} at a time, so a long queue costs no more memory than a
 * consumer's fetch. Skipped: expired messages, messages whose delivery time is ahead, messages the selector does not
 * select (evaluated here, as for non-durable subscribers).
 *
 * <p>Approximate, as JMS allows (the enumeration need not be a static snapshot, JMS 3.1 section 4.1.6): records past
 * the start offset that the share group already acknowledged (inside its in-flight window, not yet behind the start
 * offset) still show, and so do records acquired by a consumer now; records consumed while the enumeration runs may
 * show; records sent after it was made do not.
 *
 * <p>Thread-safety: used by one thread at a time (the session's); {@link #close} may come from any thread and makes
 * the enumeration end.
 */
final class QueueBrowseCursor implements Enumeration<StrataMessage> {

    private static final Duration POLL_SLICE = Duration.ofMillis(100);
    private static final long ADMIN_TIMEOUT_MS = 30_000;
    /** How long a read may make no progress before the enumeration fails (the brokers do not answer). */
    private static final long STALL_MS = 30_000;

    private final StrataConnection connection;
    private final Queue queue;
    private final LocalSelector selector;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, Long> ends = new HashMap<>();
    private final Deque<ConsumerRecord<byte[], byte[]>> fetched = new ArrayDeque<>();
    private StrataMessage next;
    private boolean closed;

    QueueBrowseCursor(StrataConnection connection, Queue queue, String topic, LocalSelector selector)
            throws JMSException {
        this.connection = connection;
        this.queue = queue;
        this.selector = selector;
        Properties properties = connection.settings().kafka();
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // a start the log no longer has
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, connection.settings().prefetch());
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(properties);
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            Map<TopicPartition, Long> starts = groupStarts(Names.queueGroup(topic), partitions);
            Map<TopicPartition, Long> logStarts = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> logEnds = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            for (TopicPartition partition : partitions) {
                long start = Math.max(logStarts.get(partition), starts.getOrDefault(partition, 0L));
                if (start < logEnds.get(partition)) {
                    ends.put(partition, logEnds.get(partition));
                    starts.put(partition, start);
                }
            }
            consumer.assign(ends.keySet());
            ends.keySet().forEach(partition -> consumer.seek(partition, starts.get(partition)));
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw JmsErrors.jms("the queue '" + topic + "' cannot be browsed", e);
        } catch (JMSException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** The share group's start offset of each partition that has one (a group never consumed has none). */
    private Map<TopicPartition, Long> groupStarts(String group, List<TopicPartition> partitions)
            throws JMSException {
        Map<TopicPartition, SharePartitionOffsetInfo> infos;
        try {
            infos = connection.admin().listShareGroupOffsets(Map.of(group,
                            new ListShareGroupOffsetsSpec().topicPartitions(partitions)))
                    .partitionsToOffsetInfo(group).get(ADMIN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException) {
                return new HashMap<>();
            }
            throw JmsErrors.jms("the start of share group '" + group + "' cannot be read", e.getCause());
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "the start of share group '" + group + "' cannot be read");
        }
        Map<TopicPartition, Long> starts = new HashMap<>();
        infos.forEach((partition, info) -> {
            if (info != null && info.startOffset() >= 0) {
                starts.put(partition, info.startOffset());
            }
        });
        return starts;
    }

    @Override
    public synchronized boolean hasMoreElements() {
        long stallDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MS);
        while (next == null && !closed) {
            if (fetched.isEmpty()) {
                if (ends.isEmpty()) {
                    close();
                    break;
                }
                if (System.nanoTime() > stallDeadline) {
                    throw new JMSRuntimeException("browsing the queue '" + queue + "' made no progress for "
                            + STALL_MS + " ms: the brokers do not answer");
                }
                poll();
                continue;
            }
            ConsumerRecord<byte[], byte[]> record = fetched.poll();
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            Long end = ends.get(partition);
            if (end == null || record.offset() >= end) {
                continue; // past the end fixed when the enumeration was made
            }
            stallDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MS);
            next = shown(record);
        }
        return next != null;
    }

    @Override
    public synchronized StrataMessage nextElement() {
        if (!hasMoreElements()) {
            throw new NoSuchElementException("the queue browser's enumeration has no more messages");
        }
        StrataMessage message = next;
        next = null;
        return message;
    }

    /** Fetches the next records, and stops reading the partitions it has read to their ends. */
    private void poll() {
        try {
            consumer.poll(POLL_SLICE).forEach(fetched::add);
            for (TopicPartition partition : List.copyOf(ends.keySet())) {
                if (consumer.position(partition, Duration.ofSeconds(30)) >= ends.get(partition)
                        && fetched.stream().noneMatch(r -> r.partition() == partition.partition())) {
                    ends.remove(partition);
                    consumer.pause(List.of(partition));
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            Thread.currentThread().interrupt();
            throw new JMSRuntimeException("interrupted while browsing the queue '" + queue + "'");
        } catch (RuntimeException e) {
            JMSRuntimeException failure = new JMSRuntimeException("the queue '" + queue + "' cannot be browsed: "
                    + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
    }

    /** The record as a message, when the browser shows it: not expired, due, selected. */
    private StrataMessage shown(ConsumerRecord<byte[], byte[]> record) {
        StrataMessage message;
        try {
            message = connection.codec().decode(record, queue);
        } catch (JMSException e) {
            return null; // the codec delivers what it cannot read as a BytesMessage; anything else is not shown
        }
        long now = System.currentTimeMillis();
        long expiration = message.getJMSExpiration();
        if (expiration != 0 && expiration <= now) {
            return null;
        }
        if (message.getJMSDeliveryTime() > now) {
            return null; // JMS 3.1 section 4.1.6: not before its delivery time
        }
        if (selector != null && !selector.matches(message)) {
            return null;
        }
        return message;
    }

    /** Stops reading: the enumeration ends. Idempotent. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            fetched.clear();
            next = null;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "QueueBrowseCursor[%s, %d partitions left]", queue, ends.size());
    }
}
