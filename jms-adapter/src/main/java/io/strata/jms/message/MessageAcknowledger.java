package io.strata.jms.message;

import jakarta.jms.JMSException;
import jakarta.jms.Message;

/**
 * What {@link Message#acknowledge()} of a received message does: the session that delivered it decides (in
 * CLIENT_ACKNOWLEDGE mode it acknowledges every message the session consumed; in the other modes it does nothing),
 * so the consumer gives each message it delivers its session's acknowledger.
 *
 * <p>Implementations say their own thread-safety; a session's is called from the thread that uses the session.
 */
@FunctionalInterface
public interface MessageAcknowledger {

    /**
     * Acknowledges as the session's mode says.
     *
     * @param message the message whose {@code acknowledge()} was called
     * @throws jakarta.jms.IllegalStateException when the session is closed, as JMS requires
     */
    void acknowledge(Message message) throws JMSException;
}
