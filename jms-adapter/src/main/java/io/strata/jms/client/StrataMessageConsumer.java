package io.strata.jms.client;

import io.strata.jms.record.MessageRecordCodec;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.Queue;
import jakarta.jms.QueueReceiver;
import jakarta.jms.Topic;
import jakarta.jms.TopicSubscriber;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JMS message consumer (JMS 3.1 section 8.2): messages of one destination or subscription from its
 * {@link RecordSource}, handed out by {@code receive} or to its message listener by its session's delivery thread.
 * Before a message is handed out: an expired one (JMSExpiration passed) is accepted and dropped; with noLocal, one
 * this connection sent is accepted and dropped; where the source does not select (no share group), one the selector
 * does not select is skipped; one whose JMSDeliveryTime is ahead is held here until then (for a share group it stays
 * acquired by this consumer meanwhile: a delay longer than the group's record lock, {@code share.record.lock
 * .duration.ms}, 30 s by default, lets the lock run out and the record come again one delivery higher).
 *
 * <p>Thread-safety: as JMS says, a consumer is used by its session's thread of control; {@link #close} may be called
 * from any thread.
 */
public final class StrataMessageConsumer implements QueueReceiver, TopicSubscriber {

    private static final Duration POLL_SLICE = Duration.ofMillis(100);

    private final StrataSession session;
    private final Destination destination;
    private final LocalSelector selector;
    private final boolean noLocal;
    private final RecordSource source;
    private final String subscriptionGroup;
    private final Deque<Delivery> ready = new ArrayDeque<>();
    private final PriorityQueue<Delivery> delayed = new PriorityQueue<>(
            Comparator.comparingLong(StrataMessageConsumer::deliveryTime));
    private volatile MessageListener listener;
    private volatile boolean closed;
    /** When the records in {@link #delayed} were last renewed. */
    private long delayedRenewedMs;

    StrataMessageConsumer(StrataSession session, Destination destination, LocalSelector selector, boolean noLocal,
                          RecordSource source, String subscriptionGroup) {
        this.session = session;
        this.destination = destination;
        this.selector = selector;
        this.noLocal = noLocal;
        this.source = source;
        this.subscriptionGroup = subscriptionGroup;
    }

    @Override
    public String getMessageSelector() throws JMSException {
        checkOpen();
        return selector == null ? null : selector.text();
    }

    @Override
    public MessageListener getMessageListener() throws JMSException {
        checkOpen();
        return listener;
    }

    /** From now on the session's delivery thread hands this consumer's messages to {@code listener}. */
    @Override
    public void setMessageListener(MessageListener listener) throws JMSException {
        checkOpen();
        this.listener = listener;
        source.listening(listener != null);
        session.listenerChanged();
    }

    MessageListener listener() {
        return listener;
    }

    @Override
    public Message receive() throws JMSException {
        return receive(0);
    }

    @Override
    public Message receive(long timeout) throws JMSException {
        long timeoutMs = timeout <= 0 ? TimeUnit.DAYS.toMillis(365 * 100L) : timeout;
        return session.receive(this, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    }

    @Override
    public Message receiveNoWait() throws JMSException {
        return session.receive(this, System.nanoTime());
    }

    /**
     * A receive for {@code JMSConsumer.receiveBody}: {@code timeout} as {@link #receive(long)}'s, negative for no
     * wait; a message whose body is not a {@code bodyType} is handled as {@link StrataSession} says.
     */
    Message receiveBody(Class<?> bodyType, long timeout) throws JMSException {
        long deadlineNanos = timeout < 0 ? System.nanoTime() : System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(timeout == 0 ? TimeUnit.DAYS.toMillis(365 * 100L) : timeout);
        return session.receive(this, deadlineNanos, bodyType);
    }

    /**
     * Stops delivery to this consumer; a share group gets back what it held and the application did not
     * acknowledge (in a transacted session, once the transaction holding messages of it ends). May be called by
     * this consumer's own message listener; otherwise it waits until a listener in progress returned. Idempotent.
     */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        closed = true;
        if (!StrataSession.onListenerThread()) {
            session.awaitListenerIdle();
        }
        session.consumerClosed(this);
        if (!session.sourceClosesWithTransaction(this)) {
            source.close();
        }
        if (subscriptionGroup != null && Names.isSharedNonDurableGroup(subscriptionGroup)) {
            // While a transaction still holds this consumer's member, the group is not empty and stays (tolerated).
            session.connection().sharedSubscriptionConsumerClosed(subscriptionGroup);
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the message consumer is closed");
        }
        session.checkOpen();
    }

    Destination destination() {
        return destination;
    }

    String subscriptionGroup() {
        return subscriptionGroup;
    }

    RecordSource source() {
        return source;
    }

    /** A delivery the session took and did not hand out (the connection stopped meanwhile): first next time. */
    void pushBack(Delivery delivery) {
        ready.addFirst(delivery);
    }

    /**
     * The next message for the application, waiting up to {@code deadlineNanos} (and while the connection is
     * stopped); null when none came in time or the consumer closed.
     */
    Delivery next(long deadlineNanos) throws JMSException {
        MessageRecordCodec codec = session.connection().codec();
        boolean once = true;
        while (!closed && !session.isClosed() && (once || System.nanoTime() < deadlineNanos)) {
            once = false;
            try {
                if (!session.connection().awaitStarted(deadlineNanos)) {
                    return null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            if (!ready.isEmpty()) {
                return ready.poll();
            }
            long now = System.currentTimeMillis();
            if (!delayed.isEmpty() && deliveryTime(delayed.peek()) <= now) {
                Delivery due = delayed.poll();
                if (!source.renew(List.of(due)).isEmpty()) {
                    return due; // still this consumer's: its lock did not run out while it waited
                }
                continue;
            }
            renewDelayed(now);
            long waitNanos = Math.max(0, Math.min(deadlineNanos - System.nanoTime(), POLL_SLICE.toNanos()));
            if (!delayed.isEmpty()) {
                waitNanos = Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(Math.min(
                        deliveryTime(delayed.peek()) - now, source.renewIntervalMs())));
            }
            RecordSource.Fetched fetched = source.poll(Duration.ofNanos(waitNanos));
            if (fetched == null) {
                continue;
            }
            Delivery delivery = new Delivery(this, fetched.record(), fetched.shareRecord());
            delivery.message = codec.decode(fetched.record(), destination);
            if (wanted(delivery)) {
                if (deliveryTime(delivery) > System.currentTimeMillis()) {
                    delayed.add(delivery);
                } else {
                    return delivery;
                }
            }
        }
        return null;
    }

    /**
     * Keeps the records held back for their delivery time this consumer's: a share group takes a record back when its
     * acquisition lock runs out, and would deliver it again, to this consumer or another, before its time.
     */
    private void renewDelayed(long nowMs) throws JMSException {
        if (delayed.isEmpty() || nowMs - delayedRenewedMs < source.renewIntervalMs()) {
            return;
        }
        delayedRenewedMs = nowMs;
        List<Delivery> held = source.renew(List.copyOf(delayed));
        if (held.size() != delayed.size()) {
            delayed.retainAll(held);
        }
    }

    /** Whether the application gets it; what it does not get is accepted (dropped), as JMS says for each case. */
    private boolean wanted(Delivery delivery) throws JMSException {
        long expiration = delivery.message.getJMSExpiration();
        if (expiration != 0 && expiration <= System.currentTimeMillis()) {
            source.accept(delivery);
            return false;
        }
        if (noLocal && fromThisConnection(delivery)) {
            source.accept(delivery);
            return false;
        }
        if (source.selectsLocally() && selector != null && !selector.matches(delivery.message)) {
            source.accept(delivery);
            return false;
        }
        return true;
    }

    private boolean fromThisConnection(Delivery delivery) {
        Header header = delivery.record.headers().lastHeader(StrataMessageProducer.CONNECTION_HEADER);
        return header != null && header.value() != null && session.connection().connectionId()
                .equals(new String(header.value(), StandardCharsets.UTF_8));
    }

    private static long deliveryTime(Delivery delivery) {
        return delivery.message.getJMSDeliveryTime();
    }

    @Override
    public Queue getQueue() throws JMSException {
        checkOpen();
        if (destination instanceof Queue queue) {
            return queue;
        }
        throw new IllegalStateException("this consumer reads a topic, not a queue");
    }

    @Override
    public Topic getTopic() throws JMSException {
        checkOpen();
        if (destination instanceof Topic topic) {
            return topic;
        }
        throw new IllegalStateException("this consumer reads a queue, not a topic");
    }

    @Override
    public boolean getNoLocal() throws JMSException {
        checkOpen();
        return noLocal;
    }
}
