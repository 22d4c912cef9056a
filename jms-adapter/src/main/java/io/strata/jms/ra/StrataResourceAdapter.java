package io.strata.jms.ra;

import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;

import javax.transaction.xa.XAResource;
import java.io.Serial;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Strata's resource adapter (Jakarta Connectors 2.1): the cluster it reaches (its {@link ProviderConfiguration}
 * properties, inherited by the managed connection factories and activation specs that leave them unset), and the
 * message endpoints it delivers to, one {@link EndpointActivation} each, with the work manager of the container's
 * {@link BootstrapContext}, and the {@link RecoveryXAResource}s of XA recovery, one per cluster configuration.
 *
 * <p>Thread-safe: the container calls it from any thread; the activations and recovery resources are in concurrent
 * maps.
 */
public class StrataResourceAdapter extends ProviderConfiguration implements ResourceAdapter {

    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(StrataResourceAdapter.class.getName());

    private transient volatile BootstrapContext bootstrap;
    private final transient Map<Activation, EndpointActivation> activations = new ConcurrentHashMap<>();
    private final transient Map<Cluster, RecoveryXAResource> recoveryResources = new ConcurrentHashMap<>();

    /** The settings and credentials a recovery resource connects with. */
    private record Cluster(Properties properties, String userName, String password) {
    }

    /** One endpoint activated with one spec; the container hands the same pair to deactivate it. */
    private record Activation(MessageEndpointFactory endpoints, ActivationSpec spec) {
    }

    @Override
    public void start(BootstrapContext context) throws ResourceAdapterInternalException {
        if (context == null || context.getWorkManager() == null) {
            throw new ResourceAdapterInternalException("the container gave no BootstrapContext with a WorkManager");
        }
        this.bootstrap = context;
        LOG.log(Level.INFO, "Strata resource adapter started for the brokers at {0}",
                getBootstrapServers() == null ? "localhost:9092 (the default)" : getBootstrapServers());
    }

    /** Stops every activation, waiting for the deliveries in progress, and closes the recovery resources. */
    @Override
    public void stop() {
        for (Activation activation : List.copyOf(activations.keySet())) {
            EndpointActivation running = activations.remove(activation);
            if (running != null) {
                running.stop();
            }
        }
        for (Cluster cluster : List.copyOf(recoveryResources.keySet())) {
            RecoveryXAResource resource = recoveryResources.remove(cluster);
            if (resource != null) {
                resource.close();
            }
        }
        bootstrap = null;
        LOG.info("Strata resource adapter stopped");
    }

    @Override
    public void endpointActivation(MessageEndpointFactory endpoints, ActivationSpec spec) throws ResourceException {
        if (!(spec instanceof StrataActivationSpec strataSpec)) {
            throw new NotSupportedException("Strata's resource adapter activates endpoints with its own"
                    + " StrataActivationSpec; got " + (spec == null ? "none" : spec.getClass().getName()));
        }
        BootstrapContext context = bootstrap;
        if (context == null) {
            throw new jakarta.resource.spi.IllegalStateException("the resource adapter is not started");
        }
        strataSpec.validate();
        EndpointActivation activation = new EndpointActivation(endpoints, strataSpec, this,
                context.getWorkManager());
        if (activations.putIfAbsent(new Activation(endpoints, spec), activation) != null) {
            throw new jakarta.resource.spi.IllegalStateException("this endpoint is already activated with this"
                    + " activation spec");
        }
        activation.start();
    }

    @Override
    public void endpointDeactivation(MessageEndpointFactory endpoints, ActivationSpec spec) {
        EndpointActivation activation = activations.remove(new Activation(endpoints, spec));
        if (activation != null) {
            activation.stop();
        }
    }

    /**
     * The XA resources the transaction manager recovers in-doubt branches through: one per distinct cluster
     * configuration (settings and credentials) among the adapter's own and those of {@code specs}, each able to list
     * its cluster's prepared branches and complete them ({@link RecoveryXAResource}). The outbound pools' branches are
     * recovered through the pools' managed connections, as Connectors 2.1 has the container do. A resource is made once
     * per configuration and kept until {@link #stop}; it connects only when the transaction manager calls it.
     */
    @Override
    public XAResource[] getXAResources(ActivationSpec[] specs) throws ResourceException {
        Set<XAResource> resources = new LinkedHashSet<>();
        resources.add(recoveryResource(providerProperties(null), getUserName(), getPassword()));
        for (ActivationSpec spec : specs == null ? new ActivationSpec[0] : specs) {
            if (spec instanceof StrataActivationSpec strataSpec) {
                try {
                    resources.add(recoveryResource(strataSpec.providerProperties(this), strataSpec.userName(this),
                            strataSpec.password(this)));
                } catch (IllegalArgumentException e) {
                    throw new jakarta.resource.spi.InvalidPropertyException("an activation spec's settings are"
                            + " refused: " + e.getMessage(), e);
                }
            }
        }
        return resources.toArray(new XAResource[0]);
    }

    private RecoveryXAResource recoveryResource(Properties properties, String userName, String password) {
        return recoveryResources.computeIfAbsent(new Cluster(properties, userName, password),
                cluster -> new RecoveryXAResource(properties, userName, password));
    }

    /** The activation of {@code endpoints} with {@code spec}; null when there is none. */
    EndpointActivation activation(MessageEndpointFactory endpoints, ActivationSpec spec) {
        return activations.get(new Activation(endpoints, spec));
    }

    // A ResourceAdapter is one instance per deployment; identity is its equality (Connectors 2.1 section 5.3.1 asks
    // only that equals and hashCode be consistent).
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
