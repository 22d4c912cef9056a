package io.strata.broker.share.deadletter;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Sends dead-letter records with a kafka-clients producer bootstrapped at this broker's own listener, so that a
 * record reaches the dead-letter partition's leader wherever it is and follows it through failovers: idempotent,
 * {@code acks=all}, retrying within {@value #DELIVERY_TIMEOUT_MS} ms, after which {@link DeadLetterTopicWriter}
 * retries with a new send (a record may then be written twice, never lost). Created at the first send, since the
 * broker must be listening. Thread-safe.
 */
public final class ProducerSender implements DeadLetterTopicWriter.Sender {

    static final int DELIVERY_TIMEOUT_MS = 30_000;
    static final int REQUEST_TIMEOUT_MS = 10_000;
    /** How long a send may wait for metadata, on the writer's own thread. */
    static final int MAX_BLOCK_MS = 5_000;
    /** Records waiting in the producer at most; the writer's own bound is lower. */
    static final long BUFFER_MEMORY_BYTES = 32L * 1024 * 1024;

    private final Supplier<String> bootstrapServers;
    private final String clientId;
    private Producer<byte[], byte[]> producer;
    private boolean closed;

    /** @param bootstrapServers this broker's {@code host:port}, asked at the first send */
    public ProducerSender(Supplier<String> bootstrapServers, String clientId) {
        this.bootstrapServers = bootstrapServers;
        this.clientId = clientId;
    }

    @Override
    public CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer().send(record, (metadata, failure) -> {
                if (failure != null) {
                    sent.completeExceptionally(failure);
                } else {
                    sent.complete(null);
                }
            });
        } catch (RuntimeException e) {
            sent.completeExceptionally(e);
        }
        return sent;
    }

    private synchronized Producer<byte[], byte[]> producer() {
        if (closed) {
            throw new IllegalStateException("the dead-letter producer is closed");
        }
        if (producer == null) {
            producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.get(),
                    ProducerConfig.CLIENT_ID_CONFIG, clientId,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS,
                    ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MS,
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS,
                    ProducerConfig.BUFFER_MEMORY_CONFIG, BUFFER_MEMORY_BYTES,
                    ProducerConfig.LINGER_MS_CONFIG, 5),
                    new ByteArraySerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }
}
