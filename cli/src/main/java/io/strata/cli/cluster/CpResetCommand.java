package io.strata.cli.cluster;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code strata cluster cp-reset}: resets the Hazelcast CP Subsystem that elects Strata's controller, for a cluster
 * whose controller quorum lost its majority and did not recover by itself (the brokers reset it on their own once
 * every configured broker is back; this is for when they cannot tell, e.g. a broker replaced on another address,
 * or the operator will not wait). Hazelcast resets only with at least as many members as the CP member count. Without
 * {@code --yes} it only says what it would do, after the broker has checked that there is a CP Subsystem to reset.
 *
 * <p>It speaks only the Kafka protocol: the request is an IncrementalAlterConfigs that SETs
 * {@value #CP_RESET_CONFIG} to {@code true} on the cluster-wide BROKER resource (the one Kafka's tools use for
 * cluster-wide broker settings). A Strata broker takes that setting as this action, has the broker of the oldest
 * Hazelcast member carry it out, and answers when it is done; a validate-only request is the dry run.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "cp-reset", mixinStandardHelpOptions = true,
        description = {"Reset the CP Subsystem that elects the controller, when it lost its majority for good.",
                "Wipes the controller lock and every CP session; a controller is elected again and controller "
                        + "epochs continue above every epoch a broker stored.",
                "Without --yes, only says what it would do."})
public final class CpResetCommand extends StrataCommand {

    /** The broker setting whose SET Strata takes as the request to reset: see the class comment. */
    static final String CP_RESET_CONFIG = "strata.cluster.cp.reset";
    /** The broker waits up to a minute for the reset; the call gets a little more than that. */
    private static final int RESET_TIMEOUT_MS = 90_000;

    @Option(names = "--yes", description = "Reset for real. Without it, the command only says what it would do.")
    private boolean yes;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            DescribeClusterResult cluster = admin.describeCluster();
            Collection<Node> brokers = Await.result(cluster.nodes());
            Node controller = Await.result(cluster.controller());
            out().println("Brokers: " + brokers.stream().sorted(Comparator.comparingInt(Node::id))
                    .map(node -> node.id() + " (" + node.host() + ":" + node.port() + ")")
                    .collect(Collectors.joining(", ")));
            out().println("Controller: " + (controller == null || controller.isEmpty() ? "none"
                    : "broker " + controller.id()));
            reset(admin, !yes);
            if (!yes) {
                out().println("Would reset the CP Subsystem: the broker of the oldest Hazelcast member wipes the "
                        + "controller lock and every CP session, a controller is elected again, and controller epochs"
                        + " continue above every epoch a broker stored. Resetting a CP Subsystem that still has its"
                        + " majority only costs a controller election. Run again with --yes to reset.");
                return 0;
            }
            out().println("The CP Subsystem was reset; a controller is being elected.");
        }
        return 0;
    }

    private void reset(Admin admin, boolean validateOnly) {
        ConfigResource clusterWide = new ConfigResource(ConfigResource.Type.BROKER, "");
        AlterConfigOp action = new AlterConfigOp(new ConfigEntry(CP_RESET_CONFIG, "true"), AlterConfigOp.OpType.SET);
        try {
            Await.result(admin.incrementalAlterConfigs(Map.of(clusterWide, List.of(action)),
                    new AlterConfigsOptions().validateOnly(validateOnly).timeoutMs(RESET_TIMEOUT_MS)).all());
        } catch (InvalidRequestException e) {
            throw new CliException("the broker refused the CP Subsystem reset: " + e.getMessage(), e);
        }
    }
}
