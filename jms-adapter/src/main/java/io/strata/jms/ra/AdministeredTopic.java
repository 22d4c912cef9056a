package io.strata.jms.ra;

import jakarta.jms.Topic;

import java.io.Serial;
import java.io.Serializable;
import java.util.Objects;

/**
 * A JMS topic as a Jakarta Connectors admin object: a JavaBean whose {@code name} property is the topic's name (the
 * Kafka topic of docs/jms-mapping.md), configured by the container and bound in JNDI for {@code @Resource} and
 * {@code destinationLookup}. The provider takes it wherever it takes its own topics: it reads only
 * {@link #getTopicName()}. Serializable; not thread-safe while configured, read-only afterwards.
 */
public class AdministeredTopic implements Topic, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    private String name;

    public AdministeredTopic() {
    }

    public AdministeredTopic(String name) {
        setName(name);
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name == null ? null : name.trim();
    }

    @Override
    public String getTopicName() {
        return name;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AdministeredTopic that && Objects.equals(name, that.name);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(name);
    }

    @Override
    public String toString() {
        return "topic://" + name;
    }
}
