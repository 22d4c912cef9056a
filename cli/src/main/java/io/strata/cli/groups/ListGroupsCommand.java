package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code strata groups list}: the consumer groups the cluster knows, with their state, sorted by name.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List consumer groups and their state.")
public final class ListGroupsCommand extends StrataCommand {

    @Override
    protected int run() {
        List<GroupListing> groups;
        try (Admin admin = clients().createAdmin()) {
            groups = new ArrayList<>(Await.result(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()));
        }
        groups.sort(Comparator.comparing(GroupListing::groupId));
        Table table = new Table("GROUP", "STATE");
        for (GroupListing group : groups) {
            table.row(group.groupId(), group.groupState().map(Object::toString).orElse(null));
        }
        table.print(out());
        return 0;
    }
}
