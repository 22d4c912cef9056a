package io.strata.jms.ra;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.InvalidPropertyException;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;
import org.apache.activemq.artemis.selector.filter.FilterException;
import org.apache.activemq.artemis.selector.impl.SelectorParser;

import java.beans.PropertyDescriptor;
import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a message-driven bean consumes from Strata: the activation config properties of Jakarta Messaging 3.1 section
 * 13 and Jakarta Enterprise Beans, named as there, so that a bean written for another provider deploys unchanged:
 *
 * <ul>
 *   <li>{@code destinationLookup}: the JNDI name of a queue or topic (an admin object); or {@code destination}: the
 *       queue's or topic's name (a name that cannot be one, holding {@code /} or {@code :}, is looked up in JNDI, as
 *       Artemis does), with {@code destinationType} {@code jakarta.jms.Queue} or {@code jakarta.jms.Topic}
 *       ({@code javax.jms.*}, {@code Queue} and {@code Topic} too).</li>
 *   <li>{@code subscriptionDurability} {@code Durable} or {@code NonDurable} (the default), {@code subscriptionName}
 *       (a durable subscription's; the endpoint's activation name when unset), {@code clientId} (also
 *       {@code clientID}), {@code messageSelector}.</li>
 *   <li>{@code acknowledgeMode} {@code Auto-acknowledge} (the default) or {@code Dups-ok-acknowledge}, for
 *       deliveries outside a transaction.</li>
 *   <li>{@code maxSession}, as Artemis names it: how many messages are delivered at once, each by a session of its
 *       own (default {@value #MAX_SESSION_DEFAULT}, at most {@value #MAX_SESSION_LIMIT}); also taken as
 *       {@code maxSessions}, {@code maxConcurrency} (Open Liberty), {@code endpointPoolMaxSize} (OpenMQ) and
 *       {@code maxPoolSize}.</li>
 *   <li>{@code connectionFactoryLookup} is accepted and not used: the activation reaches the cluster the resource
 *       adapter (or this spec's own {@link ProviderConfiguration} properties) names.</li>
 * </ul>
 *
 * <p>A topic's consumers share its subscription's work as the provider maps it (docs/jms-mapping.md): a durable
 * subscription is the shared durable subscription {@code subscriptionName}, a non-durable one a shared non-durable
 * subscription of this activation alone; a queue's are members of the queue's share group.
 *
 * <p>Not thread-safe: configured by the container, then read.
 */
public class StrataActivationSpec extends ProviderConfiguration implements ActivationSpec, ResourceAdapterAssociation {

    @Serial
    private static final long serialVersionUID = 1L;
    static final int MAX_SESSION_DEFAULT = 15;
    static final int MAX_SESSION_LIMIT = 1_000;
    /** A name Kafka takes as a topic's; anything else in {@code destination} is a JNDI name. */
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** The kind of destination an activation consumes from. */
    enum DestinationType { QUEUE, TOPIC }

    private transient ResourceAdapter resourceAdapter;
    private String destinationLookup;
    private String destination;
    private String destinationType;
    private String subscriptionDurability = "NonDurable";
    private String subscriptionName;
    private String messageSelector;
    private String acknowledgeMode = "Auto-acknowledge";
    private int maxSession = MAX_SESSION_DEFAULT;
    private String connectionFactoryLookup;

    public String getDestinationLookup() {
        return destinationLookup;
    }

    public void setDestinationLookup(String destinationLookup) {
        this.destinationLookup = trimmed(destinationLookup);
    }

    public String getDestination() {
        return destination;
    }

    public void setDestination(String destination) {
        this.destination = trimmed(destination);
    }

    public String getDestinationType() {
        return destinationType;
    }

    public void setDestinationType(String destinationType) {
        this.destinationType = trimmed(destinationType);
    }

    public String getSubscriptionDurability() {
        return subscriptionDurability;
    }

    public void setSubscriptionDurability(String subscriptionDurability) {
        this.subscriptionDurability = subscriptionDurability == null || subscriptionDurability.isBlank()
                ? "NonDurable" : subscriptionDurability.trim();
    }

    public String getSubscriptionName() {
        return subscriptionName;
    }

    public void setSubscriptionName(String subscriptionName) {
        this.subscriptionName = trimmed(subscriptionName);
    }

    /** {@code clientID}, as Artemis and the JMS API spell it; the same as {@link #setClientId}. */
    public String getClientID() {
        return getClientId();
    }

    public void setClientID(String clientId) {
        setClientId(clientId);
    }

    public String getMessageSelector() {
        return messageSelector;
    }

    public void setMessageSelector(String messageSelector) {
        this.messageSelector = trimmed(messageSelector);
    }

    public String getAcknowledgeMode() {
        return acknowledgeMode;
    }

    public void setAcknowledgeMode(String acknowledgeMode) {
        this.acknowledgeMode = acknowledgeMode == null || acknowledgeMode.isBlank() ? "Auto-acknowledge"
                : acknowledgeMode.trim();
    }

    public int getMaxSession() {
        return maxSession;
    }

    public void setMaxSession(int maxSession) {
        this.maxSession = maxSession;
    }

    public int getMaxSessions() {
        return maxSession;
    }

    public void setMaxSessions(int maxSessions) {
        setMaxSession(maxSessions);
    }

    public int getMaxConcurrency() {
        return maxSession;
    }

    public void setMaxConcurrency(int maxConcurrency) {
        setMaxSession(maxConcurrency);
    }

    public int getEndpointPoolMaxSize() {
        return maxSession;
    }

    public void setEndpointPoolMaxSize(int endpointPoolMaxSize) {
        setMaxSession(endpointPoolMaxSize);
    }

    public int getMaxPoolSize() {
        return maxSession;
    }

    public void setMaxPoolSize(int maxPoolSize) {
        setMaxSession(maxPoolSize);
    }

    public String getConnectionFactoryLookup() {
        return connectionFactoryLookup;
    }

    public void setConnectionFactoryLookup(String connectionFactoryLookup) {
        this.connectionFactoryLookup = trimmed(connectionFactoryLookup);
    }

    /**
     * Refuses a spec that cannot be activated, naming every property that is wrong and what it may be.
     *
     * @throws InvalidPropertyException with the wrong properties' descriptors
     */
    @Override
    public void validate() throws InvalidPropertyException {
        List<String> problems = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        if (destinationLookup == null && destination == null) {
            problems.add("neither destinationLookup (the JNDI name of a queue or topic) nor destination (its name)"
                    + " is set");
            wrong.add("destinationLookup");
        }
        DestinationType type = null;
        if (destinationType != null) {
            type = parseDestinationType(destinationType);
            if (type == null) {
                problems.add("destinationType '" + destinationType + "' is neither jakarta.jms.Queue nor"
                        + " jakarta.jms.Topic");
                wrong.add("destinationType");
            }
        } else if (destinationLookup == null && destination != null && TOPIC_NAME.matcher(destination).matches()) {
            problems.add("destination '" + destination + "' needs a destinationType, jakarta.jms.Queue or"
                    + " jakarta.jms.Topic");
            wrong.add("destinationType");
        }
        if (destination != null && destinationLookup == null && !TOPIC_NAME.matcher(destination).matches()
                && !destination.contains("/") && !destination.contains(":")) {
            problems.add("destination '" + destination + "' is not a queue or topic name (ASCII letters, digits,"
                    + " '.', '_', '-', at most 249) nor a JNDI name");
            wrong.add("destination");
        }
        if (!"Durable".equalsIgnoreCase(subscriptionDurability)
                && !"NonDurable".equalsIgnoreCase(subscriptionDurability)) {
            problems.add("subscriptionDurability '" + subscriptionDurability + "' is neither Durable nor"
                    + " NonDurable");
            wrong.add("subscriptionDurability");
        } else if (durable() && type == DestinationType.QUEUE) {
            problems.add("subscriptionDurability Durable is for topics; the destination is a queue");
            wrong.add("subscriptionDurability");
        }
        if (subscriptionName != null && subscriptionName.isEmpty()) {
            problems.add("subscriptionName is empty");
            wrong.add("subscriptionName");
        }
        if (sessionMode() < 0) {
            problems.add("acknowledgeMode '" + acknowledgeMode + "' is neither Auto-acknowledge nor"
                    + " Dups-ok-acknowledge");
            wrong.add("acknowledgeMode");
        }
        if (maxSession < 1 || maxSession > MAX_SESSION_LIMIT) {
            problems.add("maxSession " + maxSession + " is not between 1 and " + MAX_SESSION_LIMIT);
            wrong.add("maxSession");
        }
        if (messageSelector != null && !messageSelector.isEmpty()) {
            try {
                SelectorParser.parse(messageSelector);
            } catch (FilterException e) {
                problems.add("messageSelector \"" + messageSelector + "\" is not a JMS message selector: "
                        + e.getMessage());
                wrong.add("messageSelector");
            }
        }
        try {
            providerProperties(null);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            wrong.add("properties");
        }
        if (!problems.isEmpty()) {
            InvalidPropertyException refused = new InvalidPropertyException("Strata activation spec refused: "
                    + String.join("; ", problems));
            refused.setInvalidPropertyDescriptors(descriptors(wrong));
            throw refused;
        }
    }

    private PropertyDescriptor[] descriptors(List<String> names) {
        List<PropertyDescriptor> descriptors = new ArrayList<>();
        for (String name : names.stream().distinct().toList()) {
            try {
                descriptors.add(new PropertyDescriptor(name, StrataActivationSpec.class));
            } catch (java.beans.IntrospectionException e) {
                throw new java.lang.IllegalStateException("no JavaBean property " + name, e);
            }
        }
        return descriptors.toArray(new PropertyDescriptor[0]);
    }

    static DestinationType parseDestinationType(String text) {
        return switch (text) {
            case "jakarta.jms.Queue", "javax.jms.Queue", "Queue", "queue" -> DestinationType.QUEUE;
            case "jakarta.jms.Topic", "javax.jms.Topic", "Topic", "topic" -> DestinationType.TOPIC;
            default -> null;
        };
    }

    /** The spec's destination type, or null when it is to be found from the destination looked up. */
    DestinationType destinationTypeOrNull() {
        return destinationType == null ? null : parseDestinationType(destinationType);
    }

    /** Whether {@link #getDestination} is a JNDI name rather than a destination's name. */
    boolean destinationIsJndiName() {
        return destination != null && !TOPIC_NAME.matcher(destination).matches();
    }

    boolean durable() {
        return "Durable".equalsIgnoreCase(subscriptionDurability);
    }

    /** {@code Session.AUTO_ACKNOWLEDGE} or {@code DUPS_OK_ACKNOWLEDGE}; -1 for an unknown mode. */
    int sessionMode() {
        String mode = acknowledgeMode == null ? "" : acknowledgeMode.toLowerCase(Locale.ROOT).replace('_', '-');
        return switch (mode) {
            case "auto-acknowledge" -> jakarta.jms.Session.AUTO_ACKNOWLEDGE;
            case "dups-ok-acknowledge" -> jakarta.jms.Session.DUPS_OK_ACKNOWLEDGE;
            default -> -1;
        };
    }

    @Override
    public ResourceAdapter getResourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public void setResourceAdapter(ResourceAdapter resourceAdapter) throws ResourceException {
        this.resourceAdapter = resourceAdapter;
    }

    /** The resource adapter's configuration this spec inherits what it leaves unset from; null without one. */
    ProviderConfiguration inherited() {
        return resourceAdapter instanceof ProviderConfiguration configuration ? configuration : null;
    }

    @Override
    public String toString() {
        return "StrataActivationSpec[" + (destinationLookup != null ? "destinationLookup=" + destinationLookup
                : "destination=" + destination) + ", destinationType=" + destinationType + ", subscriptionDurability="
                + subscriptionDurability + ", subscriptionName=" + subscriptionName + ", messageSelector="
                + messageSelector + ", maxSession=" + maxSession + "]";
    }

    private static String trimmed(String text) {
        return text == null ? null : text.trim();
    }
}
