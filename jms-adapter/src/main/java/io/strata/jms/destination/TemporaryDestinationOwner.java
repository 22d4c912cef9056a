package io.strata.jms.destination;

import jakarta.jms.Destination;
import jakarta.jms.JMSException;

/**
 * The connection that created a temporary destination, and so the only one that may delete it (JMS 3.1 section
 * 6.2.2). A temporary destination read back from a message (JMSReplyTo) or deserialized has none.
 */
@FunctionalInterface
public interface TemporaryDestinationOwner {

    /** Deletes {@code destination}'s topic, or says why not (its connection still consumes from it). */
    void delete(Destination destination) throws JMSException;
}
