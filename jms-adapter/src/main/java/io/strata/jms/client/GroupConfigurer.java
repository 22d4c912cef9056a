package io.strata.jms.client;

import jakarta.jms.JMSException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The group configs the provider gives the share groups it reads through (queues, durable and shared subscriptions),
 * with {@code Admin.incrementalAlterConfigs} on the GROUP resource, the first time a connection of its factory uses
 * the group (before the consumer joins it):
 *
 * <ul>
 *   <li>always: {@code share.isolation.level=read_committed}, so that what a transaction sent is delivered once it
 *       committed and never when it aborted; for a queue also {@code share.auto.offset.reset=earliest}, so that a
 *       queue delivers what was sent before its first consumer. JMS needs both.</li>
 *   <li>only where the group has no value of its own yet (DescribeConfigs source {@code DYNAMIC_GROUP_CONFIG}), so
 *       that an operator's choice wins: {@code errors.deadletterqueue.topic.name} = {@code strata.jms.dead.letter
 *       .topic} together with {@code errors.deadletterqueue.copy.record.enable=true} (the dead-lettered record keeps
 *       its key, body and headers: it is still the JMS message), and {@code share.delivery.count.limit} =
 *       {@code strata.jms.delivery.limit} when that is set. A group that reads the dead-letter topic itself gets no
 *       dead-letter topic (the broker would refuse to write a record back where it came from anyway).</li>
 * </ul>
 *
 * The dead-letter topic must exist and allow share groups to write to it (topic config
 * {@code errors.deadletterqueue.group.enable=true}, KIP-1191), unless the broker creates it itself
 * ({@code errors.deadletterqueue.auto.create.topics.enable}, off by default). So before a group is first given it, the
 * topic is created with that config when {@code strata.jms.destination.auto.create} allows, with
 * {@code strata.jms.destination.partitions} partitions; one that exists is left as it is, and a warning is logged
 * when it does not allow dead letters, or is missing and may not be created: the broker then archives the records it
 * gives up on instead of writing them.
 *
 * <p>One per connection factory, shared by its connections, so that not every consumer pays the two admin requests.
 * It remembers at most {@value #GROUPS_REMEMBERED_MAX} groups (a temporary queue is a group of its own), forgetting
 * the oldest first: a group forgotten is configured again at its next use, which changes nothing. Group configs
 * outlive their group on the broker, so a group deleted (unsubscribe) and made again keeps them. Thread-safe; two
 * connections configuring one group at once both send the same configs.
 */
final class GroupConfigurer {

    private static final Logger LOG = Logger.getLogger(GroupConfigurer.class.getName());
    static final String ISOLATION_LEVEL = "share.isolation.level";
    static final String AUTO_OFFSET_RESET = "share.auto.offset.reset";
    static final String DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";
    static final String DEAD_LETTER_TOPIC_NAME = "errors.deadletterqueue.topic.name";
    static final String DEAD_LETTER_COPY_RECORD = "errors.deadletterqueue.copy.record.enable";
    /** The topic config by which a topic allows share groups to dead-letter into it (KIP-1191). */
    static final String DEAD_LETTER_GROUP_ENABLE = "errors.deadletterqueue.group.enable";
    static final int GROUPS_REMEMBERED_MAX = 10_000;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /** A group configured with the settings that matter to it (the factory's properties may change in between). */
    private record Configured(String bootstrapServers, String group, String deadLetterTopic, int deliveryLimit) {
    }

    private final Map<Configured, Boolean> configured = new LinkedHashMap<>();
    /** Dead-letter topics made ready (or found unusable and reported), per cluster: {@code bootstrap|topic}. */
    private final Set<String> deadLetterTopicsChecked = ConcurrentHashMap.newKeySet();

    /**
     * Configures {@code group}, reading {@code topic}, unless this factory did already with the same settings.
     *
     * @throws JMSException when the broker refuses the configs (a dead-letter topic name without the broker's
     *                      {@code errors.deadletterqueue.topic.name.prefix}, a delivery limit outside its bounds) or
     *                      does not answer
     */
    void configure(Admin admin, ProviderSettings settings, String group, String topic, boolean queue)
            throws JMSException {
        boolean deadLetters = settings.deadLettering() && !settings.deadLetterTopic().equals(topic);
        Configured key = new Configured(settings.bootstrapServers(), group,
                deadLetters ? settings.deadLetterTopic() : null, settings.deliveryLimit());
        synchronized (configured) {
            if (configured.containsKey(key)) {
                return;
            }
        }
        try {
            List<AlterConfigOp> ops = new ArrayList<>();
            ops.add(set(ISOLATION_LEVEL, "read_committed"));
            if (queue) {
                ops.add(set(AUTO_OFFSET_RESET, "earliest"));
            }
            if (deadLetters || settings.deliveryLimit() != ProviderSettings.DELIVERY_LIMIT_BROKER) {
                Set<String> own = groupsOwn(admin, group);
                if (deadLetters && !own.contains(DEAD_LETTER_TOPIC_NAME)) {
                    ensureDeadLetterTopic(admin, settings);
                    ops.add(set(DEAD_LETTER_TOPIC_NAME, settings.deadLetterTopic()));
                    ops.add(set(DEAD_LETTER_COPY_RECORD, "true"));
                }
                if (settings.deliveryLimit() != ProviderSettings.DELIVERY_LIMIT_BROKER
                        && !own.contains(DELIVERY_COUNT_LIMIT)) {
                    ops.add(set(DELIVERY_COUNT_LIMIT, Integer.toString(settings.deliveryLimit())));
                }
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), ops))
                    .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.log(Level.FINE, "Share group {0} configured: {1}", new Object[] {group, ops});
        } catch (ExecutionException e) {
            String hint = e.getCause() instanceof InvalidConfigurationException
                    ? " (check " + ProviderSettings.DEAD_LETTER_TOPIC + " against the broker's"
                    + " errors.deadletterqueue.topic.name.prefix, and " + ProviderSettings.DELIVERY_LIMIT
                    + " against its group.share.min/max.delivery.count.limit)" : "";
            throw JmsErrors.jms("the share group '" + group + "' cannot be configured" + hint, e.getCause());
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "the share group '" + group + "' cannot be configured");
        }
        remember(key);
    }

    /** The names of the group configs {@code group} has a value of its own for. */
    private static Set<String> groupsOwn(Admin admin, String group) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        Config config = admin.describeConfigs(List.of(resource)).all()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource);
        Set<String> own = new HashSet<>();
        if (config != null) {
            for (ConfigEntry entry : config.entries()) {
                if (entry.source() == ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG) {
                    own.add(entry.name());
                }
            }
        }
        return own;
    }

    /** Creates the dead-letter topic, allowing dead letters, or checks the one there; once per cluster and topic. */
    private void ensureDeadLetterTopic(Admin admin, ProviderSettings settings) throws Exception {
        String topic = settings.deadLetterTopic();
        if (deadLetterTopicsChecked.contains(settings.bootstrapServers() + "|" + topic)) {
            return;
        }
        boolean exists = true;
        if (settings.autoCreate()) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(settings.partitions()), Optional.empty())
                                .configs(Map.of(DEAD_LETTER_GROUP_ENABLE, "true"))))
                        .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.log(Level.INFO, "Created the JMS dead-letter topic {0}", topic);
                deadLetterTopicsChecked.add(settings.bootstrapServers() + "|" + topic);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    LOG.log(Level.WARNING, "The JMS dead-letter topic {0} cannot be created ({1}); until it exists"
                            + " with {2}=true, messages past their delivery limit are archived (no longer delivered), not dead-lettered",
                            new Object[] {topic, e.getCause().toString(), DEAD_LETTER_GROUP_ENABLE});
                    exists = false;
                }
            }
        }
        if (exists) {
            checkAllowsDeadLetters(admin, topic);
        }
        deadLetterTopicsChecked.add(settings.bootstrapServers() + "|" + topic);
    }

    private static void checkAllowsDeadLetters(Admin admin, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config config = admin.describeConfigs(List.of(resource)).all()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry allowed = config == null ? null : config.get(DEAD_LETTER_GROUP_ENABLE);
            if (allowed == null || !"true".equalsIgnoreCase(String.valueOf(allowed.value()).trim())) {
                LOG.log(Level.WARNING, "The JMS dead-letter topic {0} does not allow dead letters: set its topic"
                        + " config {1}=true, or messages past their delivery limit are archived (no longer delivered), not dead-lettered",
                        new Object[] {topic, DEAD_LETTER_GROUP_ENABLE});
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw e;
            }
            LOG.log(Level.WARNING, "The JMS dead-letter topic {0} does not exist ({1} is false): create it with"
                    + " {2}=true, or messages past their delivery limit are archived (no longer delivered), not dead-lettered",
                    new Object[] {topic, ProviderSettings.AUTO_CREATE, DEAD_LETTER_GROUP_ENABLE});
        }
    }

    private void remember(Configured key) {
        synchronized (configured) {
            configured.put(key, Boolean.TRUE);
            if (configured.size() > GROUPS_REMEMBERED_MAX) {
                configured.remove(configured.keySet().iterator().next());
            }
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }
}
