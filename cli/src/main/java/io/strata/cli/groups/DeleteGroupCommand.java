package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/**
 * {@code strata groups delete}: deletes consumer groups and their committed offsets through
 * Admin.deleteConsumerGroups. The broker refuses groups that still have members, as Kafka's does.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete consumer groups without active members, and their committed offsets.")
public final class DeleteGroupCommand extends StrataCommand {

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Group to delete (repeatable).")
    private List<String> groups;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            Map<String, KafkaFuture<Void>> results = admin.deleteConsumerGroups(groups).deletedGroups();
            for (String group : groups) {
                try {
                    Await.result(results.get(group));
                } catch (GroupIdNotFoundException e) {
                    throw CliException.unknownGroup(group, e);
                } catch (GroupNotEmptyException e) {
                    throw new CliException("group '" + group + "' has active members; stop its consumers first");
                }
                out().println("Deleted group '" + group + "'.");
            }
        }
        return 0;
    }
}
