package io.strata.broker.coordinator;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import org.apache.kafka.common.config.ConfigException;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The internal topic a coordinator keeps its state in ({@code __consumer_offsets}, {@code __transaction_state},
 * {@code __share_group_state}), created when first needed, as Kafka does, and only once enough brokers are alive to
 * hold every replica: a topic created with fewer would keep fewer replicas forever. Until then callers get
 * {@code null} and answer COORDINATOR_NOT_AVAILABLE, which clients retry; the wait is logged once. A standalone broker
 * (a cluster of one) uses one replica unless the replication factor is set, so that the feature works out of the box
 * with Kafka's default of 3; set to more, it cannot start the topic at all, and says so.
 *
 * <p>Thread-safe.
 */
public final class InternalTopic {

    private static final System.Logger LOG = System.getLogger(InternalTopic.class.getName());

    private final String name;
    private final BrokerConfig config;
    private final Controller controller;
    private final String replicationFactorKey;
    private final IntSupplier configuredReplicationFactor;
    private final String waitingClients;
    private volatile boolean standalone;
    private volatile boolean waitingForBrokersLogged;

    /**
     * @param replicationFactorKey        the setting of its replication factor, named in messages
     * @param configuredReplicationFactor that setting's value
     * @param waitingClients              who gets COORDINATOR_NOT_AVAILABLE meanwhile, for the log ("groups")
     */
    public InternalTopic(String name, BrokerConfig config, Controller controller, String replicationFactorKey,
                         IntSupplier configuredReplicationFactor, String waitingClients) {
        this.name = name;
        this.config = config;
        this.controller = controller;
        this.replicationFactorKey = replicationFactorKey;
        this.configuredReplicationFactor = configuredReplicationFactor;
        this.waitingClients = waitingClients;
    }

    /** Says whether this broker is a cluster of one ({@code cluster.join=none}); called at startup. */
    public void standalone(boolean standaloneBroker) {
        standalone = standaloneBroker;
    }

    public String name() {
        return name;
    }

    /** The topic as the metadata has it now, or null. */
    public TopicImage image() {
        return controller.image().topic(name);
    }

    /** Its replication factor: the setting, or 1 on a standalone broker where it is not set. */
    public short replicationFactor() {
        if (standalone && !config.originals().containsKey(replicationFactorKey)) {
            return 1;
        }
        return (short) configuredReplicationFactor.getAsInt();
    }

    /**
     * Returns the topic, creating it with {@code partitions} and {@code topicConfigs} if it does not exist and
     * enough brokers are alive; {@code null} while too few are.
     *
     * @throws ConfigException on a standalone broker whose replication factor is set above 1
     */
    public TopicImage ensure(int partitions, Map<String, String> topicConfigs) {
        TopicImage existing = image();
        if (existing != null) {
            return existing;
        }
        short factor = replicationFactor();
        int live = controller.liveBrokers().size();
        if (live < factor) {
            if (standalone) {
                throw new ConfigException(replicationFactorKey, factor, "a standalone broker ("
                        + BrokerConfig.CLUSTER_JOIN + "=none) is a cluster of one and cannot hold " + factor
                        + " replicas of " + name + ": set it to 1, or leave it unset");
            }
            if (!waitingForBrokersLogged) {
                waitingForBrokersLogged = true;
                LOG.log(Level.WARNING, "Not creating {0} yet: {1}={2} and {3} broker(s) are alive {4}; {5} get"
                        + " COORDINATOR_NOT_AVAILABLE until enough brokers have joined", name, replicationFactorKey,
                        factor, live, controller.liveBrokers(), waitingClients);
            }
            return null;
        }
        return controller.ensureInternalTopic(name, partitions, factor, topicConfigs);
    }
}
