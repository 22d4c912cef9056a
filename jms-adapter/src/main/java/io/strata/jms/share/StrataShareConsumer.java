package io.strata.jms.share;

import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A member of a Kafka share group (KIP-932) speaking Strata's extensions of share fetching: a message selector the
 * broker applies (tag 32000) and acknowledgements inside a Kafka transaction (tags 32001/32002), which kafka-clients'
 * {@code KafkaShareConsumer} cannot send. The engine under the JMS provider's queue receivers and shared-subscription
 * consumers; it deals in {@link ShareRecord}s, not JMS messages.
 *
 * <p>{@link #open} joins the group and returns once the member is in it with its share sessions open at the partition
 * leaders, or throws why not (a topic that does not exist, a group id that is not a share group, a selector the broker
 * refuses, a broker without the selector extension). Then {@link #poll} hands out fetched records;
 * {@link #acknowledge} gives each its outcome (ACCEPT, RELEASE, REJECT), sent on the next fetch; and
 * {@link #acknowledgeSync} sends acknowledgements at once, optionally inside the caller's transaction, and returns what
 * each leader answered. {@link #close} sends what is pending, closes the share sessions (the leaders release the
 * records this member holds and did not acknowledge: the broker does it for every closed session, so nothing is
 * released twice) and leaves the group.
 *
 * <p>Thread-safe: every method may be called from any thread. The network work happens on one thread of the engine
 * ({@link ShareNetworkThread}), which heartbeats while callers process records. Records are handed out in fetch
 * order, or, when opened with a priority function, highest priority first among those buffered (in fetch order within
 * a priority); if several threads poll, they share them.
 *
 * <p>Bounds: see {@link ShareConsumerSettings}. Records are buffered up to its bounds; a record whose acquisition
 * lock ran out while buffered is dropped, not handed out (the group gives it to another member); at most one request
 * per leader is in flight; acknowledgements not yet sent are bounded; every wait takes a timeout.
 */
public final class StrataShareConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StrataShareConsumer.class.getName());

    private final ShareConsumerSettings settings;
    private final Uuid memberId = Uuid.randomUuid();
    private final RecordBuffer buffer;
    private final ShareNetworkThread network;
    private final Thread thread;
    private volatile boolean closed;

    private StrataShareConsumer(ShareConsumerSettings settings, ToIntFunction<ShareRecord> priority) {
        this.settings = settings;
        this.buffer = new RecordBuffer(settings.bufferedRecordsMax(), settings.bufferedBytesMax(), priority);
        this.network = new ShareNetworkThread(settings, memberId, buffer);
        this.thread = new Thread(network, "strata-share-" + settings.groupId() + "-" + memberId);
        thread.setDaemon(true);
        // kafka-clients' code only: it loads classes by the provider's loader, not the creating thread's (an
        // application server's thread may not see kafka-clients)
        thread.setContextClassLoader(StrataShareConsumer.class.getClassLoader());
    }

    /**
     * Joins the share group and opens the share sessions, waiting up to the settings' open timeout.
     *
     * @throws ShareGroupException why the member cannot consume (its subclasses {@link InvalidShareFilterException}
     *                             and {@link UnsupportedExtensionException} for the selector)
     * @throws TimeoutException    when the group did not take the member in time
     */
    public static StrataShareConsumer open(ShareConsumerSettings settings) {
        return open(settings, false, null);
    }

    /**
     * As {@link #open(ShareConsumerSettings)}, paused from the start when {@code paused}: the member joins and
     * opens its sessions (its share partitions placed) but acquires no records until {@link #paused paused(false)}.
     */
    public static StrataShareConsumer open(ShareConsumerSettings settings, boolean paused) {
        return open(settings, paused, null);
    }

    /**
     * As {@link #open(ShareConsumerSettings, boolean)}, for a member whose {@link #poll} hands out the buffered records
     * highest {@code priority} first (a function of the record, 0 to 9, asked once per record as it is buffered;
     * JMS's JMSPriority for the provider), in fetch order within a priority. The records reordered are those
     * buffered, at most the settings' {@code bufferedRecordsMax}; null keeps fetch order.
     */
    public static StrataShareConsumer open(ShareConsumerSettings settings, boolean paused,
                                           ToIntFunction<ShareRecord> priority) {
        StrataShareConsumer consumer = new StrataShareConsumer(Objects.requireNonNull(settings, "settings"),
                priority);
        consumer.network.paused(paused);
        consumer.thread.start();
        try {
            consumer.network.ready.get(settings.openTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return consumer;
        } catch (java.util.concurrent.TimeoutException e) {
            consumer.close();
            throw new TimeoutException("share group '" + settings.groupId() + "' did not take member "
                    + consumer.memberId + " within " + settings.openTimeout() + " (is a broker at "
                    + settings.clientProperties().get("bootstrap.servers") + " reachable?)");
        } catch (ExecutionException e) {
            consumer.close();
            throw unwrap(e);
        } catch (InterruptedException e) {
            consumer.close();
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    /**
     * Stops ({@code true}) or resumes acquiring records, as a JMS connection's stop and start do; the member stays in
     * the group and its acknowledgements still go out. Records already fetched stay buffered for {@link #poll}.
     */
    public void paused(boolean paused) {
        network.paused(paused);
    }

    /**
     * How long the group's leaders lock the records they hand this member (the last ShareFetch's
     * AcquisitionLockTimeoutMs), 0 before the first: a record held longer than that without a RENEW may go to
     * another member.
     */
    public long acquisitionLockTimeoutMs() {
        return buffer.lockTimeoutMs();
    }

    /** The member id this engine generated and joined with. */
    public Uuid memberId() {
        return memberId;
    }

    public ShareConsumerSettings settings() {
        return settings;
    }

    /** The partitions the group assigns this member now. */
    public Set<TopicIdPartition> assignment() {
        return network.assignment();
    }

    /**
     * Up to {@code maxRecords} fetched records, waiting up to {@code timeout} for the first; empty when none came.
     *
     * @throws ShareGroupException when the engine failed (the same exception every time)
     */
    public List<ShareRecord> poll(int maxRecords, Duration timeout) {
        if (maxRecords <= 0) {
            throw new IllegalArgumentException("maxRecords must be positive; got " + maxRecords);
        }
        checkUsable();
        try {
            List<ShareRecord> records = buffer.poll(maxRecords, timeout.toMillis(), System::currentTimeMillis);
            if (!records.isEmpty()) {
                network.wakeup(); // room in the buffer: the next fetch may go
            }
            checkUsable();
            return records;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    /**
     * Gives {@code record} its outcome, sent with the next request to its leader; the answer is not waited for (a
     * failure is logged). RENEW needs {@link #acknowledgeSync}.
     *
     * @throws IllegalStateException past {@link ShareConsumerSettings#pendingAcknowledgementsMax()}
     */
    public void acknowledge(ShareRecord record, AcknowledgeType type) {
        if (type == AcknowledgeType.RENEW) {
            throw new IllegalArgumentException("a RENEW goes with acknowledgeSync, which tells when it is done");
        }
        checkUsable();
        Acknowledgements acknowledgements = new Acknowledgements();
        acknowledgements.add(record.topicPartition(), record.offset(), type.id);
        network.acknowledgeLater(acknowledgements);
        buffer.acknowledged(1);
    }

    /**
     * Acknowledges {@code records} with {@code type} now (a ShareAcknowledge to each leader, after any fetch in flight
     * there), and returns what each leader answered per partition, for JMS {@code acknowledge()} and
     * {@code Session.recover()}.
     */
    public List<AcknowledgementResult> acknowledgeSync(List<ShareRecord> records, AcknowledgeType type,
                                                       Duration timeout) {
        return acknowledgeSync(records, type, null, timeout);
    }

    /**
     * As {@link #acknowledgeSync(List, AcknowledgeType, Duration)}, inside {@code transaction} when it is not null
     * (Strata's tag 32001): the acknowledgements become pending at the leaders and take effect when the caller's
     * producer commits; an abort releases the records. The caller ends the transaction.
     *
     * @throws UnsupportedExtensionException when a leader does not advertise
     *                                       {@code strata.share.transactional.acknowledge}; nothing was sent there
     * @throws TimeoutException              when the leaders did not answer within {@code timeout}: the outcome is
     *                                       unknown
     */
    public List<AcknowledgementResult> acknowledgeSync(List<ShareRecord> records, AcknowledgeType type,
                                                       AcknowledgementTransaction transaction, Duration timeout) {
        Objects.requireNonNull(type, "type");
        if (transaction != null && type == AcknowledgeType.RENEW) {
            throw new IllegalArgumentException("a RENEW cannot be made inside a transaction");
        }
        checkUsable();
        Acknowledgements acknowledgements = new Acknowledgements();
        records.forEach(record -> acknowledgements.add(record.topicPartition(), record.offset(), type.id));
        if (acknowledgements.isEmpty()) {
            return List.of();
        }
        AcknowledgeCommand command = new AcknowledgeCommand(acknowledgements, transaction,
                System.currentTimeMillis() + timeout.toMillis());
        network.acknowledgeNow(command);
        if (type != AcknowledgeType.RENEW) {
            buffer.acknowledged(records.size()); // a RENEW keeps them held
        }
        return await(command.future, timeout);
    }

    /**
     * Sends what is pending, closes the share sessions (their leaders release the records this member still holds)
     * and leaves the group, waiting up to the settings' close timeout. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        network.requestClose();
        try {
            network.finished.get(settings.closeTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.log(Level.WARNING, "Share consumer {0} did not close within {1}: {2}",
                    new Object[] {memberId, settings.closeTimeout(), e.toString()});
        }
    }

    private void checkUsable() {
        ShareGroupException failure = network.failure();
        if (failure != null) {
            throw failure;
        }
        if (closed) {
            throw new IllegalStateException("share consumer " + memberId + " of group '" + settings.groupId()
                    + "' is closed");
        }
    }

    private static <T> T await(CompletableFuture<T> future, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TimeoutException("the partition leaders did not answer the acknowledgements within " + timeout
                    + "; their outcome is unknown");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        return e.getCause() instanceof RuntimeException runtime ? runtime
                : new IllegalStateException(e.getCause());
    }
}
