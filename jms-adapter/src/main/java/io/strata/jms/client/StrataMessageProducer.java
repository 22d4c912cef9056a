package io.strata.jms.client;

import io.strata.jms.record.EncodedRecord;
import io.strata.jms.record.MessageRecordCodec;
import jakarta.jms.CompletionListener;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageFormatException;
import jakarta.jms.Queue;
import jakarta.jms.QueueSender;
import jakarta.jms.Topic;
import jakarta.jms.TopicPublisher;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A JMS message producer (JMS 3.1 section 7): sends a message as one record (docs/jms-mapping.md) through its
 * connection's idempotent producer with {@code acks=all}. {@code send} returns once the partition leader answered
 * that the in-sync replicas have the record; with a {@link CompletionListener} it returns at once and the listener
 * runs, on the session's completion thread, when that answer came.
 *
 * <p>PERSISTENT and NON_PERSISTENT are sent alike, with {@code acks=all}: a log keeps every record it acknowledged,
 * and NON_PERSISTENT only allows a provider to lose a message, it does not oblige it to; a weaker acknowledgement
 * would save little, since records of both modes share batches and partitions.
 *
 * <p>Before encoding, the producer sets on the message (JMS 3.1 section 3.4): JMSDestination, JMSDeliveryMode,
 * JMSPriority, JMSMessageID ({@code ID:} and a UUID, or null when disabled), JMSTimestamp (the send time, or 0 when
 * disabled), JMSExpiration (send time + time to live, or 0), JMSDeliveryTime (send time + delivery delay). The record
 * also carries {@value #CONNECTION_HEADER}, the sending connection's id, for noLocal subscribers.
 *
 * <p>In a transacted session the record goes into the session's Kafka transaction ({@link SessionTransaction}):
 * {@code send} returns once the producer took it, and the commit waits for it.
 *
 * <p>Thread-safety: used by its session's thread of control.
 */
public final class StrataMessageProducer implements QueueSender, TopicPublisher {

    /** The sending connection's id, by which a noLocal subscriber of that connection recognizes its own messages. */
    static final String CONNECTION_HEADER = "strata.jms.connection-id";

    private static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(60);

    private final StrataSession session;
    private final Destination destination;
    private int deliveryMode = DeliveryMode.PERSISTENT;
    private int priority = Message.DEFAULT_PRIORITY;
    private long timeToLive = Message.DEFAULT_TIME_TO_LIVE;
    private long deliveryDelay = Message.DEFAULT_DELIVERY_DELAY;
    private boolean disableMessageId;
    private boolean disableMessageTimestamp;
    private volatile boolean closed;

    StrataMessageProducer(StrataSession session, Destination destination) {
        this.session = session;
        this.destination = destination;
    }

    // --------------------------------------------------------------------------------------------- settings

    @Override
    public void setDisableMessageID(boolean value) throws JMSException {
        checkOpen();
        disableMessageId = value;
    }

    @Override
    public boolean getDisableMessageID() throws JMSException {
        checkOpen();
        return disableMessageId;
    }

    @Override
    public void setDisableMessageTimestamp(boolean value) throws JMSException {
        checkOpen();
        disableMessageTimestamp = value;
    }

    @Override
    public boolean getDisableMessageTimestamp() throws JMSException {
        checkOpen();
        return disableMessageTimestamp;
    }

    @Override
    public void setDeliveryMode(int deliveryMode) throws JMSException {
        checkOpen();
        this.deliveryMode = checkDeliveryMode(deliveryMode);
    }

    @Override
    public int getDeliveryMode() throws JMSException {
        checkOpen();
        return deliveryMode;
    }

    @Override
    public void setPriority(int priority) throws JMSException {
        checkOpen();
        this.priority = checkPriority(priority);
    }

    @Override
    public int getPriority() throws JMSException {
        checkOpen();
        return priority;
    }

    @Override
    public void setTimeToLive(long timeToLive) throws JMSException {
        checkOpen();
        this.timeToLive = timeToLive;
    }

    @Override
    public long getTimeToLive() throws JMSException {
        checkOpen();
        return timeToLive;
    }

    @Override
    public void setDeliveryDelay(long deliveryDelay) throws JMSException {
        checkOpen();
        this.deliveryDelay = deliveryDelay;
    }

    @Override
    public long getDeliveryDelay() throws JMSException {
        checkOpen();
        return deliveryDelay;
    }

    @Override
    public Destination getDestination() throws JMSException {
        checkOpen();
        return destination;
    }

    @Override
    public Queue getQueue() throws JMSException {
        checkOpen();
        return destination instanceof Queue queue ? queue : null;
    }

    @Override
    public Topic getTopic() throws JMSException {
        checkOpen();
        return destination instanceof Topic topic ? topic : null;
    }

    // --------------------------------------------------------------------------------------------- sending

    @Override
    public void send(Message message) throws JMSException {
        send(message, deliveryMode, priority, timeToLive);
    }

    @Override
    public void send(Message message, int deliveryMode, int priority, long timeToLive) throws JMSException {
        doSend(ownDestination(), message, deliveryMode, priority, timeToLive, null);
    }

    @Override
    public void send(Destination destination, Message message) throws JMSException {
        send(destination, message, deliveryMode, priority, timeToLive);
    }

    @Override
    public void send(Destination destination, Message message, int deliveryMode, int priority, long timeToLive)
            throws JMSException {
        doSend(perCallDestination(destination), message, deliveryMode, priority, timeToLive, null);
    }

    @Override
    public void send(Message message, CompletionListener completionListener) throws JMSException {
        send(message, deliveryMode, priority, timeToLive, completionListener);
    }

    @Override
    public void send(Message message, int deliveryMode, int priority, long timeToLive,
                     CompletionListener completionListener) throws JMSException {
        doSend(ownDestination(), message, deliveryMode, priority, timeToLive, requireListener(completionListener));
    }

    @Override
    public void send(Destination destination, Message message, CompletionListener completionListener)
            throws JMSException {
        send(destination, message, deliveryMode, priority, timeToLive, completionListener);
    }

    @Override
    public void send(Destination destination, Message message, int deliveryMode, int priority, long timeToLive,
                     CompletionListener completionListener) throws JMSException {
        doSend(perCallDestination(destination), message, deliveryMode, priority, timeToLive,
                requireListener(completionListener));
    }

    @Override
    public void publish(Message message) throws JMSException {
        send(message);
    }

    @Override
    public void publish(Message message, int deliveryMode, int priority, long timeToLive) throws JMSException {
        send(message, deliveryMode, priority, timeToLive);
    }

    @Override
    public void publish(Topic topic, Message message) throws JMSException {
        send(topic, message);
    }

    @Override
    public void publish(Topic topic, Message message, int deliveryMode, int priority, long timeToLive)
            throws JMSException {
        send(topic, message, deliveryMode, priority, timeToLive);
    }

    @Override
    public void send(Queue queue, Message message) throws JMSException {
        send((Destination) queue, message);
    }

    @Override
    public void send(Queue queue, Message message, int deliveryMode, int priority, long timeToLive)
            throws JMSException {
        send((Destination) queue, message, deliveryMode, priority, timeToLive);
    }

    private Destination ownDestination() throws JMSException {
        checkOpen();
        if (destination == null) {
            throw new UnsupportedOperationException("this producer was created without a destination: name one"
                    + " in each send");
        }
        return destination;
    }

    private Destination perCallDestination(Destination perCall) throws JMSException {
        checkOpen();
        if (destination != null) {
            throw new UnsupportedOperationException("this producer sends to " + destination + "; a destination"
                    + " per send is for a producer created without one");
        }
        if (perCall == null) {
            throw new InvalidDestinationException("the destination to send to is null");
        }
        return perCall;
    }

    private static CompletionListener requireListener(CompletionListener listener) {
        if (listener == null) {
            throw new IllegalArgumentException("the CompletionListener must not be null");
        }
        return listener;
    }

    private void doSend(Destination target, Message message, int mode, int messagePriority, long ttl,
                      CompletionListener completionListener) throws JMSException {
        checkOpen();
        if (message == null) {
            throw new MessageFormatException("the message to send is null");
        }
        checkDeliveryMode(mode);
        checkPriority(messagePriority);
        String topic = StrataSession.topicOf(target);
        StrataConnection connection = session.connection();
        connection.ensureTopic(topic, target instanceof Queue ? "queue" : "topic");
        long now = System.currentTimeMillis();
        message.setJMSDestination(target);
        message.setJMSDeliveryMode(mode);
        message.setJMSPriority(messagePriority);
        message.setJMSTimestamp(disableMessageTimestamp ? 0 : now);
        message.setJMSExpiration(ttl > 0 ? now + ttl : 0);
        message.setJMSDeliveryTime(now + Math.max(0, deliveryDelay));
        message.setJMSMessageID(disableMessageId ? null : MessageRecordCodec.newMessageId());
        EncodedRecord encoded = connection.codec().encode(message);
        ProducerRecord<byte[], byte[]> record = encoded.toProducerRecord(topic);
        record.headers().add(CONNECTION_HEADER, connection.connectionId().getBytes(StandardCharsets.UTF_8));
        if (completionListener == null && session.transacted()) {
            sendInTransaction(record);
        } else if (completionListener == null && mode == DeliveryMode.NON_PERSISTENT) {
            sendWithoutWaiting(connection, record);
        } else if (completionListener == null) {
            sendAndWait(connection, record);
        } else {
            sendAsync(connection, record, message, completionListener);
        }
    }

    private void sendAndWait(StrataConnection connection, ProducerRecord<byte[], byte[]> record) throws JMSException {
        try {
            Future<RecordMetadata> sent = connection.producer().send(record);
            sent.get();
        } catch (ExecutionException e) {
            throw sendFailure(record, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JmsErrors.jms("interrupted while the message was sent to " + record.topic()
                    + "; it may or may not have been sent", e);
        } catch (RuntimeException e) {
            throw sendFailure(record, e);
        }
    }

    /**
     * A NON_PERSISTENT message is sent at most once (JMS 3.1 section 6.2.10 and 7.2.2): the send returns once the
     * record is handed to the connection's producer, in order with the producer's other sends, without waiting for
     * the brokers, as JMS providers do for non-persistent messages; a failure found later goes to the connection's
     * exception listener. What the producer cannot take at once (too large, a closed connection) still throws here.
     */
    private void sendWithoutWaiting(StrataConnection connection, ProducerRecord<byte[], byte[]> record)
            throws JMSException {
        try {
            connection.producer().send(record, (metadata, failure) -> {
                if (failure != null) {
                    connection.report(sendFailure(record, failure));
                }
            });
        } catch (RuntimeException e) {
            throw sendFailure(record, e);
        }
    }

    /** Hands the record to the session's transaction; the commit waits for it, and fails if it could not be sent. */
    private void sendInTransaction(ProducerRecord<byte[], byte[]> record) throws JMSException {
        try {
            session.producerForSend().send(record);
        } catch (RuntimeException e) {
            throw sendFailure(record, e);
        }
    }

    private void sendAsync(StrataConnection connection, ProducerRecord<byte[], byte[]> record, Message message,
                           CompletionListener listener) throws JMSException {
        StrataSession.AsyncSends asyncSends = session.asyncSends();
        asyncSends.started();
        try {
            session.producerForSend().send(record, (metadata, failure) -> asyncSends.complete(() -> {
                if (failure == null) {
                    listener.onCompletion(message);
                } else {
                    listener.onException(message, sendFailure(record, failure));
                }
            }));
        } catch (RuntimeException e) {
            asyncSends.complete(() -> listener.onException(message, sendFailure(record, e)));
        }
    }

    private static JMSException sendFailure(ProducerRecord<byte[], byte[]> record, Throwable cause) {
        if (cause instanceof RecordTooLargeException) {
            return JmsErrors.withCause(new MessageFormatException("the message is larger than the broker or the"
                    + " producer accept (max.request.size, message.max.bytes): " + cause.getMessage()), cause);
        }
        return JmsErrors.jms("the message could not be sent to " + record.topic(), cause);
    }

    private static int checkDeliveryMode(int mode) throws JMSException {
        if (mode != DeliveryMode.PERSISTENT && mode != DeliveryMode.NON_PERSISTENT) {
            throw new JMSException("delivery mode " + mode + " is neither PERSISTENT (2) nor NON_PERSISTENT (1)");
        }
        return mode;
    }

    private static int checkPriority(int priority) throws JMSException {
        if (priority < 0 || priority > 9) {
            throw new JMSException("priority " + priority + " is not within 0 to 9");
        }
        return priority;
    }

    /**
     * Closes the producer once the session's asynchronous sends completed and their CompletionListeners returned
     * (JMS 3.1 section 7.3.4; the session's, a superset of this producer's). Not from a CompletionListener of this
     * session: {@code IllegalStateException}. Idempotent.
     */
    @Override
    public void close() throws JMSException {
        if (closed) {
            return;
        }
        if (session.asyncSends().onCompletionThread()) {
            throw new IllegalStateException("a CompletionListener must not close its own producer (JMS 3.1 section"
                    + " 7.3.4)");
        }
        session.asyncSends().awaitNone(CLOSE_WAIT);
        closed = true;
        session.producerClosed(this);
    }

    private void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the message producer is closed");
        }
        session.checkOpen();
    }
}
