package io.strata.jms.client;

import io.strata.jms.share.PriorityBuffer;
import jakarta.jms.JMSException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * A non-durable unshared topic subscriber's records: a plain {@code KafkaConsumer} without a group, assigned every
 * partition the topic has when the subscriber is created and positioned at their ends then, so that it gets exactly
 * the records sent after it subscribed, and of those the committed ones (read_committed). The records of one poll
 * (at most {@code bufferedRecordsMax}, the prefetch) are handed out highest JMSPriority first, in log order within a
 * priority; the next poll is made once they are all handed out. Nothing is acknowledged to the broker: a record is
 * consumed once handed out; {@link #release} (recover, rollback) puts records back in front of the others of their
 * priority, one delivery higher. Partitions added to the topic later are not read (documented).
 *
 * <p>Thread-safe: the consumer, which kafka-clients does not allow to be used by two threads, is only touched under
 * this object's lock, and each poll waits at most {@link #POLL_SLICE}, so close never waits long.
 */
final class LogEndSource implements RecordSource {

    private static final Duration POLL_SLICE = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PriorityBuffer<ConsumerRecord<byte[], byte[]>> fetched =
            new PriorityBuffer<>(PriorityBuffer.JMS_LEVELS);
    private boolean closed;

    LogEndSource(ProviderSettings settings, String topic, int bufferedRecordsMax) throws JMSException {
        Properties properties = settings.kafka();
        properties.remove(ConsumerConfig.GROUP_ID_CONFIG);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // transacted sends once committed
        properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, bufferedRecordsMax);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(properties);
        try {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            List<TopicPartition> assigned = partitions.stream()
                    .map(partition -> new TopicPartition(topic, partition.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToEnd(assigned);
            assigned.forEach(partition -> consumer.position(partition, Duration.ofSeconds(30))); // fixes the ends now
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw JmsErrors.jms("the topic '" + topic + "' cannot be subscribed to", e);
        }
    }

    @Override
    public Fetched poll(Duration timeout) throws JMSException {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            synchronized (this) {
                if (closed) {
                    return null;
                }
                if (fetched.isEmpty()) {
                    try {
                        long leftNanos = Math.max(0, deadline - System.nanoTime());
                        consumer.poll(leftNanos < POLL_SLICE.toNanos() ? Duration.ofNanos(leftNanos) : POLL_SLICE)
                                .forEach(record -> fetched.add(record, JmsPriority.of(record)));
                    } catch (org.apache.kafka.common.errors.InterruptException e) {
                        Thread.currentThread().interrupt();
                        return null;
                    } catch (RuntimeException e) {
                        throw JmsErrors.jms("the topic subscriber cannot read", e);
                    }
                }
                if (!fetched.isEmpty()) {
                    return new Fetched(fetched.poll(), null);
                }
            }
        } while (System.nanoTime() < deadline);
        return null;
    }

    @Override
    public void accept(Delivery delivery) {
        // Read without a group: nothing to tell the broker.
    }

    @Override
    public void acceptNow(List<Delivery> deliveries) {
        // Read without a group: nothing to tell the broker.
    }

    /** Puts the records back in front of the others of their priority, in their order, one delivery higher. */
    @Override
    public synchronized void release(List<Delivery> deliveries) {
        for (int i = deliveries.size() - 1; i >= 0; i--) {
            ConsumerRecord<byte[], byte[]> r = deliveries.get(i).record;
            short count = (short) (r.deliveryCount().orElse((short) 1) + 1);
            fetched.addFirst(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(),
                    r.timestampType(), r.serializedKeySize(), r.serializedValueSize(), r.key(), r.value(),
                    r.headers(), r.leaderEpoch(), Optional.of(count)), JmsPriority.of(r));
        }
    }

    @Override
    public boolean selectsLocally() {
        return true;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
