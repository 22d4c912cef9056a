package io.strata.web;

import io.strata.broker.ejb.BrokerService;
import io.strata.broker.server.BrokerServer;
import jakarta.ejb.EJBException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * MicroProfile Health for the broker ({@code /health/live}, {@code /health/ready}). Live while the broker runs;
 * ready only once storage is recovered, the listener is bound, the group coordinator has loaded the committed
 * offsets and, in a cluster with the CP Subsystem, the broker is back in the quorum that elects the controller (so that
 * a rolling restart waits for it before stopping the next server). The readiness data names the bootstrap address, so that a client (or a test) can find a broker started
 * on port 0.
 *
 * <p>It lives in the web module because Payara looks for MicroProfile Health checks in WAR modules only: so the
 * checks work both on Payara Micro, where the WAR carries the broker, and in the EAR on a full-profile server.
 */
@ApplicationScoped
public class BrokerHealth {

    @Inject
    BrokerService broker;

    @Produces
    @Liveness
    HealthCheck live() {
        return () -> {
            try {
                return HealthCheckResponse.named("strata-broker").status(broker.isRunning()).build();
            } catch (EJBException e) {
                return starting(e);
            }
        };
    }

    /**
     * While the server deploys Strata its EJB container refuses calls ("container is initializing"): the broker is
     * starting, which is an answer (DOWN), not a server error.
     */
    private static HealthCheckResponse starting(EJBException e) {
        return HealthCheckResponse.named("strata-broker").down().withData("reason", "the broker is starting: "
                + e.getMessage()).build();
    }

    @Produces
    @Readiness
    HealthCheck ready() {
        return () -> {
            HealthCheckResponseBuilder response = HealthCheckResponse.named("strata-broker");
            BrokerServer server;
            try {
                if (!broker.isRunning()) {
                    return response.down().withData("reason", "the broker is not running").build();
                }
                server = broker.server();
            } catch (EJBException e) {
                return starting(e);
            }
            boolean storage = server.isReady();
            boolean offsets = server.groupCoordinator().isLoaded();
            boolean quorum = server.inControllerQuorum();
            boolean acknowledged = server.isAcknowledgedByController();
            return response.status(storage && offsets && quorum && acknowledged)
                    .withData("storage", storage ? "recovered" : "recovering")
                    .withData("listener", server.bootstrapServers())
                    .withData("groupOffsets", offsets ? "loaded" : "loading")
                    .withData("controllerQuorum", quorum ? "member" : "joining")
                    .withData("controller", acknowledged ? "acknowledged" : "awaiting acknowledgement")
                    .withData("partitions", server.replicaManager().partitions().size())
                    .build();
        };
    }
}
