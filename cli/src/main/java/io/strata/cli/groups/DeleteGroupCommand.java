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

/**
 * {@code strata groups delete}: deletes groups and their offsets: classic and consumer groups through
 * Admin.deleteConsumerGroups, share groups (and their share-partition state) through Admin.deleteShareGroups. The
 * broker refuses groups that still have members, as Kafka's does.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete groups (of any kind) without active members, and their offsets.")
public final class DeleteGroupCommand extends StrataCommand {

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Group to delete (repeatable).")
    private List<String> groups;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            for (String group : groups) {
                KafkaFuture<Void> result = GroupOffsets.isShareGroup(admin, group)
                        ? admin.deleteShareGroups(List.of(group)).deletedGroups().get(group)
                        : admin.deleteConsumerGroups(List.of(group)).deletedGroups().get(group);
                try {
                    Await.result(result);
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
