package io.strata.broker.ejb;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.server.BrokerServer;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import org.apache.kafka.common.config.ConfigException;
import org.eclipse.microprofile.config.Config;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts the broker when the application is deployed and stops it cleanly when it is undeployed or the server shuts
 * down: the listener closes, waiting group members are answered, and the logs are flushed and closed with the
 * clean-shutdown marker. Its threads come from the container's managed thread factory. A broker that cannot start
 * (port taken, invalid setting, data directory unusable) fails the deployment with a message that says which and
 * what to do.
 *
 * <p>Thread-safe: bean-managed concurrency; the server reference is set once at start.
 */
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class BrokerService {

    private static final Logger LOG = Logger.getLogger(BrokerService.class.getName());

    @Inject
    Config config;

    @Resource
    ManagedThreadFactory threads;

    @Inject
    BrokerMeters meters;

    private volatile BrokerServer server;

    @PostConstruct
    void start() {
        Set<String> unknown = BrokerSettings.unknownKeys(config);
        if (!unknown.isEmpty()) {
            LOG.warning("Ignoring settings that name nothing Strata knows (misspelt?): " + unknown);
        }
        Map<String, Object> settings = BrokerSettings.from(config);
        BrokerConfig brokerConfig;
        try {
            brokerConfig = BrokerConfig.of(settings);
        } catch (ConfigException e) {
            throw new IllegalStateException("Strata cannot start: " + e.getMessage() + ". Correct the MicroProfile "
                    + "Config key strata.<setting> (or environment variable STRATA_<SETTING>); every setting and its "
                    + "default is listed in docs/configuration.md.", e);
        }
        BrokerServer starting = new BrokerServer(brokerConfig, threads, Clock.systemUTC(),
                brokerConfig.clusterJoin.equals("payara") ? payaraHazelcast() : null);
        try {
            starting.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Strata could not start: " + e.getMessage() + advice(e, brokerConfig), e);
        }
        server = starting;
        meters.bind(starting);
    }

    /**
     * The Hazelcast instance of the Payara server, which Payara clusters by its {@code --clustermode} and
     * {@code --clustername}: brokers in servers of one Payara cluster form one Strata cluster.
     */
    private static com.hazelcast.core.HazelcastInstance payaraHazelcast() {
        try {
            return (com.hazelcast.core.HazelcastInstance) javax.naming.InitialContext.doLookup("payara/Hazelcast");
        } catch (javax.naming.NamingException | ClassCastException e) {
            throw new IllegalStateException("Strata cannot start: strata.cluster.join=payara needs Payara's Hazelcast,"
                    + " which this server does not offer (" + e + "); start Payara Micro without --nocluster, or set"
                    + " strata.cluster.join to none or tcpip:host:port,...", e);
        }
    }

    /** What to do about a failed start, from what failed. */
    static String advice(Throwable failure, BrokerConfig config) {
        if (causedBy(failure, BindException.class)) {
            return ". Another process holds the port of " + config.listeners + ": stop it, or give Strata another "
                    + "port with strata.listeners (STRATA_LISTENERS), e.g. PLAINTEXT://0.0.0.0:9093.";
        }
        if (causedBy(failure, AccessDeniedException.class) || causedBy(failure, FileSystemException.class)
                || causedBy(failure, IOException.class)) {
            return ". Strata keeps its data in " + config.logDirs + ": make that directory readable and writable for "
                    + "the server's user, or choose another with strata.log.dirs (STRATA_LOG_DIRS).";
        }
        return ". See the server log above for the cause.";
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    @PreDestroy
    void stop() {
        BrokerServer running = server;
        server = null;
        if (running != null) {
            try {
                meters.unbind(running);
            } catch (RuntimeException e) {
                // The metrics may already be gone when the whole server stops; the broker must close regardless.
                LOG.log(Level.FINE, "Removing Strata's meters failed", e);
            }
            try {
                running.close();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "Strata did not stop cleanly", e);
            }
        }
    }

    /** The running broker. */
    public BrokerServer server() {
        BrokerServer running = server;
        if (running == null) {
            throw new IllegalStateException("The Strata broker is not running");
        }
        return running;
    }

    /** Whether the broker started and has not been stopped. */
    public boolean isRunning() {
        return server != null;
    }
}
