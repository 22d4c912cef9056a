package io.strata.jms.client;

import jakarta.jms.IllegalStateException;
import jakarta.jms.JMSException;
import jakarta.jms.Queue;
import jakarta.jms.QueueBrowser;

import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

/**
 * A JMS queue browser (JMS 3.1 section 4.1.6): looks at the messages of a queue that its consumers have not consumed
 * yet, in the order they would be received, without acquiring or consuming any. Each {@link #getEnumeration()} is a
 * {@link QueueBrowseCursor}: from the queue's share-group start offset to the queue's end at that moment, read by a
 * plain consumer without a group, the selector evaluated here.
 *
 * <p><b>Approximate.</b> A share group knows which records past its start offset it already acknowledged (its
 * in-flight window) only inside the partition leader; the start offset moves past them in steps. So an enumeration
 * may show messages that were consumed shortly before (acknowledged, inside that window) and messages a consumer holds
 * now (acquired, not yet acknowledged); it never shows a message sent after the enumeration was made, an expired
 * message, or a message before its delivery time. JMS allows this: an enumeration need not be a static snapshot, and
 * whether concurrent changes show is the provider's choice.
 *
 * <p>Each enumeration holds a Kafka consumer until it is read to its end or the browser (or its session) closes.
 *
 * <p>Thread-safety: used by its session's thread of control; {@link #close} may come from any thread.
 */
final class StrataQueueBrowser implements QueueBrowser {

    private final StrataSession session;
    private final Queue queue;
    private final String topic;
    private final LocalSelector selector;
    private final List<QueueBrowseCursor> cursors = new ArrayList<>();
    private volatile boolean closed;

    StrataQueueBrowser(StrataSession session, Queue queue, String topic, LocalSelector selector) {
        this.session = session;
        this.queue = queue;
        this.topic = topic;
        this.selector = selector;
    }

    @Override
    public Queue getQueue() throws JMSException {
        checkOpen();
        return queue;
    }

    @Override
    public String getMessageSelector() throws JMSException {
        checkOpen();
        return selector == null ? null : selector.text();
    }

    /** A new enumeration of the queue's messages not yet consumed, up to the queue's end now. */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Enumeration getEnumeration() throws JMSException {
        checkOpen();
        QueueBrowseCursor cursor = new QueueBrowseCursor(session.connection(), queue, topic, selector);
        synchronized (cursors) {
            cursors.removeIf(QueueBrowseCursor::isClosed); // ended by reading to their ends
            cursors.add(cursor);
        }
        return (Enumeration) cursor;
    }

    /** Ends the enumerations and releases their consumers. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (cursors) {
            cursors.forEach(QueueBrowseCursor::close);
            cursors.clear();
        }
        session.browserClosed(this);
    }

    private void checkOpen() throws IllegalStateException {
        if (closed) {
            throw new IllegalStateException("the queue browser is closed");
        }
        session.checkOpen();
    }
}
