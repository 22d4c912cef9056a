package io.strata.jms.client;

import io.strata.jms.share.AcknowledgementResult;
import io.strata.jms.share.AcknowledgementTransaction;
import io.strata.jms.share.ShareRecord;
import io.strata.jms.share.StrataShareConsumer;
import jakarta.jms.JMSException;
import org.apache.kafka.clients.consumer.AcknowledgeType;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A consumer's records from a share group, through Strata's share-group engine: one member per JMS consumer, the
 * selector applied by the broker, outcomes ACCEPT and RELEASE. The engine is opened with {@link JmsPriority} as its
 * priority (see {@code StrataSession}), so that of the records it buffered the highest JMSPriority comes first.
 * Thread-safe, as the engine is.
 */
final class ShareGroupSource implements RecordSource {

    private static final Duration ACKNOWLEDGE_TIMEOUT = Duration.ofSeconds(30);

    private final StrataShareConsumer engine;
    /** Whether the connection is started. */
    private volatile boolean started;
    /** Whether the consumer has a message listener. */
    private volatile boolean listening;
    /** Receives (or the listener thread's polls) waiting on the engine now. */
    private final AtomicInteger polling = new AtomicInteger();
    /** What the engine was last told, so that it is told only changes. */
    private boolean enginePaused = true;

    /** @param engine a share consumer opened paused, as this source starts */
    ShareGroupSource(StrataShareConsumer engine) {
        this.engine = engine;
    }

    /**
     * The member takes records only while the application wants some: its connection started, and a receive waiting
     * or a message listener set. A queue's records then go to the consumers that ask for them, not to one that
     * fetched ahead and is not reading (JMS applications often keep such a consumer open beside the one they use);
     * a consumer that reads still gets up to its prefetch in each fetch.
     */
    private synchronized void updatePaused() {
        boolean paused = !(started && (listening || polling.get() > 0));
        if (paused != enginePaused) {
            enginePaused = paused;
            engine.paused(paused);
        }
    }

    @Override
    public void paused(boolean paused) {
        started = !paused;
        updatePaused();
    }

    @Override
    public void listening(boolean listening) {
        this.listening = listening;
        updatePaused();
    }

    @Override
    public Fetched poll(Duration timeout) throws JMSException {
        polling.incrementAndGet();
        updatePaused();
        try {
            List<ShareRecord> records = engine.poll(1, timeout);
            if (records.isEmpty()) {
                return null;
            }
            ShareRecord record = records.get(0);
            return new Fetched(record.toConsumerRecord(), record);
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            throw JmsErrors.jms("the share group '" + engine.settings().groupId() + "' cannot deliver", e);
        } finally {
            polling.decrementAndGet();
            updatePaused();
        }
    }

    @Override
    public void accept(Delivery delivery) {
        engine.acknowledge(delivery.shareRecord, AcknowledgeType.ACCEPT);
    }

    @Override
    public void acceptNow(List<Delivery> deliveries) throws JMSException {
        outcome(deliveries, AcknowledgeType.ACCEPT, "acknowledged");
    }

    /**
     * Accepts {@code deliveries} inside {@code transaction} (a transacted session's commit): each leader's answer
     * per partition; those that succeeded are pending until the transaction ends.
     *
     * @throws RuntimeException what the engine threw: no leader answered in time, or one lacks the extension
     */
    List<AcknowledgementResult> acceptInTransaction(List<Delivery> deliveries,
                                                    AcknowledgementTransaction transaction) {
        return engine.acknowledgeSync(deliveries.stream().map(delivery -> delivery.shareRecord).toList(),
                AcknowledgeType.ACCEPT, transaction, ACKNOWLEDGE_TIMEOUT);
    }

    @Override
    public void release(List<Delivery> deliveries) throws JMSException {
        outcome(deliveries, AcknowledgeType.RELEASE, "released for redelivery");
    }

    private void outcome(List<Delivery> deliveries, AcknowledgeType type, String what) throws JMSException {
        List<ShareRecord> records = deliveries.stream().map(delivery -> delivery.shareRecord).toList();
        List<AcknowledgementResult> results;
        try {
            results = engine.acknowledgeSync(records, type, ACKNOWLEDGE_TIMEOUT);
        } catch (RuntimeException e) {
            throw JmsErrors.jms(records.size() + " messages of share group '" + engine.settings().groupId()
                    + "' could not be " + what, e);
        }
        for (AcknowledgementResult result : results) {
            if (!result.succeeded()) {
                throw new JMSException("messages at offsets " + result.offsets() + " of " + result.topicPartition()
                        + " could not be " + what + ": " + result.error() + " " + result.message()
                        + " (their acquisition lock ran out, or the broker lost this consumer's session: they are"
                        + " delivered again)", result.error().name());
            }
        }
    }

    /** A third of the lock duration, so that a renewal a little late still comes in time. */
    @Override
    public long renewIntervalMs() {
        long lockMs = engine.acquisitionLockTimeoutMs();
        return lockMs <= 0 ? 1_000 : Math.max(100, lockMs / 3);
    }

    @Override
    public List<Delivery> renew(List<Delivery> deliveries) throws JMSException {
        List<ShareRecord> records = deliveries.stream().map(delivery -> delivery.shareRecord).toList();
        List<AcknowledgementResult> results;
        try {
            results = engine.acknowledgeSync(records, AcknowledgeType.RENEW, ACKNOWLEDGE_TIMEOUT);
        } catch (RuntimeException e) {
            throw JmsErrors.jms(records.size() + " delayed messages of share group '" + engine.settings().groupId()
                    + "' could not be kept", e);
        }
        java.util.Set<String> lost = new java.util.HashSet<>();
        for (AcknowledgementResult result : results) {
            if (!result.succeeded()) {
                result.offsets().forEach(offset -> lost.add(result.topicPartition().topicPartition() + "@" + offset));
            }
        }
        return deliveries.stream().filter(delivery -> !lost.contains(delivery.shareRecord.topicPartition()
                .topicPartition() + "@" + delivery.shareRecord.offset())).toList();
    }

    @Override
    public boolean selectsLocally() {
        return false;
    }

    @Override
    public void close() {
        engine.close();
    }
}
