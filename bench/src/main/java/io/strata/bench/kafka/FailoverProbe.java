package io.strata.bench.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The producer of the failover measurement: an idempotent kafka-clients producer with acks=all that sends a record
 * of {@value #RECORD_BYTES} bytes to partition 0 of one topic every interval, from a thread of its own, and notes
 * for each record when it was sent and when (and at which offset, or with which error) it was acknowledged. Apart
 * from acks, idempotence and {@code linger.ms=0} (so a record leaves as soon as it is sent) the producer has
 * kafka-clients' defaults, retries and backoffs included, the same against every broker.
 *
 * <p>Bounds: it sends at most {@code recordsMax} records, and the acknowledgements it keeps are as many.
 * Thread-safe: the sending thread, the producer's I/O thread (the callbacks) and the measuring thread share the
 * acknowledgements under one lock.
 */
final class FailoverProbe implements AutoCloseable {

    static final int RECORD_BYTES = 100;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Duration METADATA_POLL_INTERVAL = Duration.ofMillis(1);

    /** One record's fate: {@code error} is null for a record acknowledged at {@code offset}. Immutable. */
    record Ack(long sequence, long sendNanos, long ackNanos, long offset, String error) {

        boolean ok() {
            return error == null;
        }
    }

    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;
    private final long intervalNanos;
    private final long recordsMax;
    private final Thread sender;
    private final Object lock = new Object();
    private final List<Ack> acks = new ArrayList<>();
    private volatile boolean sending = true;
    private volatile String sendFailure;

    private FailoverProbe(String bootstrapServers, String topic, Duration interval, long recordsMax) {
        this.topic = topic;
        this.intervalNanos = interval.toNanos();
        this.recordsMax = recordsMax;
        this.producer = new KafkaProducer<>(producerConfig(bootstrapServers), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.sender = new Thread(this::sendUntilStopped, "failover-probe-" + topic);
        this.sender.setDaemon(true);
    }

    /** Starts sending to partition 0 of {@code topic}, a record every {@code interval}, at most {@code recordsMax}. */
    static FailoverProbe start(String bootstrapServers, String topic, Duration interval, long recordsMax) {
        FailoverProbe probe = new FailoverProbe(bootstrapServers, topic, interval, recordsMax);
        probe.sender.start();
        return probe;
    }

    static Properties producerConfig(String bootstrapServers) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-failover-probe");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return config;
    }

    /** Waits until {@code count} records have been acknowledged; fails with what went wrong if they are not in time. */
    void awaitAcknowledged(int count, Duration timeout) {
        await(timeout, count + " acknowledged records", snapshot -> snapshot.stream().filter(Ack::ok).count() >= count);
    }

    /**
     * Waits until a record handed to the producer after {@code killNanos} is acknowledged: one the killed broker
     * cannot have acknowledged, so by then the new leader has answered and the timeline holds its first ack.
     */
    void awaitAcknowledgedSentAfter(long killNanos, Duration timeout) {
        await(timeout, "an acknowledged record sent after the kill",
                snapshot -> snapshot.stream().anyMatch(ack -> ack.ok() && ack.sendNanos() - killNanos > 0));
    }

    /**
     * Polls the producer's own metadata every millisecond until it names a leader of partition 0 other than
     * {@code oldLeader}, and returns {@link System#nanoTime} then. The old leader's last acknowledgements were in the
     * socket before it died and are read before its connection is seen closed, long before the producer learns of a
     * new leader, so every acknowledgement after this moment is the new leader's — also one of a retried record the
     * old leader had already written, which the new leader acknowledges at its old offset under the old epoch.
     * Reads the producer's cached metadata, which does not block.
     */
    long awaitNewLeaderKnown(int oldLeader, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (true) {
            // A partition without a leader (between the old one's death and the election) has a null one.
            Node leader = producer.partitionsFor(topic).stream().filter(info -> info.partition() == 0).findFirst()
                    .map(PartitionInfo::leader).orElse(null);
            long nowNanos = System.nanoTime();
            if (leader != null && !leader.isEmpty() && leader.id() != oldLeader) {
                return nowNanos;
            }
            if (nowNanos - deadlineNanos > 0) {
                throw new IllegalStateException("the producer's metadata still named " + (leader == null ? "no leader"
                        : "leader " + leader.id()) + " for " + topic + "-0 " + timeout.toSeconds()
                        + " s after the kill of node " + oldLeader);
            }
            LockSupport.parkNanos(METADATA_POLL_INTERVAL.toNanos());
        }
    }

    /** Stops sending, waits (bounded) for the records in flight, and returns every record's fate so far. */
    List<Ack> stop() {
        sending = false;
        try {
            sender.join(CLOSE_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the failover producer", e);
        }
        producer.close(CLOSE_TIMEOUT);
        return snapshot();
    }

    /** Why sending stopped early (the producer threw from send), or null. */
    String sendFailure() {
        return sendFailure;
    }

    @Override
    public void close() {
        sending = false;
        producer.close(Duration.ZERO);
    }

    /**
     * The partition leader epoch of the batch holding each of {@code offsets} of partition 0 of {@code topic}, read
     * back with a consumer: the epoch of the leader that appended it. Offsets whose batch carries none are absent.
     */
    static Map<Long, Integer> leaderEpochs(String bootstrapServers, String topic, List<Long> offsets,
                                           Duration timeout) {
        Map<Long, Integer> epochs = new HashMap<>();
        if (offsets.isEmpty()) {
            return epochs;
        }
        long first = offsets.stream().mapToLong(Long::longValue).min().orElseThrow();
        long last = offsets.stream().mapToLong(Long::longValue).max().orElseThrow();
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-failover-epochs");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, first);
            long deadlineNanos = System.nanoTime() + timeout.toNanos();
            long next = first;
            while (next <= last) {
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new IllegalStateException("could not read " + topic + "-0 offsets " + next + ".." + last
                            + " back within " + timeout.toSeconds() + " s to learn their leader epochs");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
                    record.leaderEpoch().ifPresent(epoch -> epochs.put(record.offset(), epoch));
                    next = Math.max(next, record.offset() + 1);
                }
            }
        }
        return epochs;
    }

    private void sendUntilStopped() {
        byte[] value = new byte[RECORD_BYTES];
        for (long sequence = 0; sending && sequence < recordsMax; sequence++) {
            long sendNanos = System.nanoTime();
            long thisSequence = sequence;
            try {
                producer.send(new ProducerRecord<>(topic, 0, null, value), (metadata, exception) -> record(
                        new Ack(thisSequence, sendNanos, System.nanoTime(), exception == null ? metadata.offset() : -1,
                                exception == null ? null : exception.toString())));
            } catch (RuntimeException e) {
                // A producer that throws from send is closed or fenced for good (e.g. a fatal idempotence error).
                sendFailure = e.toString();
                record(new Ack(thisSequence, sendNanos, System.nanoTime(), -1, "send threw " + e));
                return;
            }
            LockSupport.parkNanos(intervalNanos);
        }
    }

    private void record(Ack ack) {
        synchronized (lock) {
            acks.add(ack);
            lock.notifyAll();
        }
    }

    private List<Ack> snapshot() {
        synchronized (lock) {
            return List.copyOf(acks);
        }
    }

    private void await(Duration timeout, String what, Predicate<List<Ack>> condition) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.test(acks)) {
                long leftNanos = deadlineNanos - System.nanoTime();
                if (leftNanos <= 0 || (!sender.isAlive() && !condition.test(acks) && sendFailure != null)) {
                    long failed = acks.stream().filter(ack -> !ack.ok()).count();
                    throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + " s: "
                            + acks.stream().filter(Ack::ok).count() + " records acknowledged, " + failed + " failed"
                            + acks.stream().filter(ack -> !ack.ok()).findFirst().map(ack -> ", the first with "
                            + ack.error()).orElse("") + (sendFailure == null ? "" : "; send threw " + sendFailure));
                }
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNanos)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for " + what, e);
                }
            }
        }
    }
}
