package io.strata.jms.destination;

import jakarta.jms.JMSException;
import jakarta.jms.TemporaryTopic;

import java.io.Serializable;

/**
 * A JMS temporary topic of Strata (JMS 3.1 section 6.2.2): a Kafka topic of one partition whose name starts with
 * the provider's temporary prefix (docs/jms-mapping.md, "Temporary destinations"), made for its connection and deleted
 * by {@link #delete()}, when that connection closes, or by the broker once that connection is gone without closing
 * (its lease expired). Only the name travels (in JMSReplyTo, or serialized); the
 * owner is the creating connection, and is absent in a copy read back from a message, which therefore cannot delete
 * it. Two temporary topics are equal when their names are. Immutable, so thread-safe.
 */
public final class StrataTemporaryTopic implements TemporaryTopic, Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final transient TemporaryDestinationOwner owner;

    /** A temporary topic known by name only, as a message's JMSReplyTo brings it: it cannot be deleted here. */
    public StrataTemporaryTopic(String name) {
        this(name, null);
    }

    /** The temporary topic {@code owner} created. */
    public StrataTemporaryTopic(String name, TemporaryDestinationOwner owner) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a temporary topic name must not be null or empty");
        }
        this.name = name;
        this.owner = owner;
    }

    @Override
    public String getTopicName() {
        return name;
    }

    /**
     * Deletes the topic and its messages; a {@code JMSException} while its connection still has consumers on it, or
     * when this object did not come from the connection that created it.
     */
    @Override
    public void delete() throws JMSException {
        if (owner == null) {
            throw new JMSException("the temporary topic '" + name + "' can only be deleted through the connection that"
                    + " created it; this copy came in a message or was deserialized");
        }
        owner.delete(this);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StrataTemporaryTopic that && name.equals(that.name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "temp-topic://" + name;
    }
}
