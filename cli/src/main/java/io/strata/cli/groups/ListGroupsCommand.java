package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.common.GroupType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code strata groups list}: the groups the cluster knows, of every kind (classic and consumer groups, share groups)
 * unless {@code --type} names some, with their kind and state, sorted by name.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List groups of every kind (classic, consumer, share), their kind and state.")
public final class ListGroupsCommand extends StrataCommand {

    @Option(names = "--type", paramLabel = "TYPE", split = ",",
            description = "Only groups of these kinds: classic, consumer, share (comma-separated).")
    private List<String> types;

    @Override
    protected int run() {
        ListGroupsOptions options = new ListGroupsOptions();
        if (types != null) {
            options.withTypes(types.stream().map(ListGroupsCommand::type).collect(Collectors.toSet()));
        }
        List<GroupListing> groups;
        try (Admin admin = clients().createAdmin()) {
            groups = new ArrayList<>(Await.result(admin.listGroups(options).all()));
        }
        groups.sort(Comparator.comparing(GroupListing::groupId));
        Table table = new Table("GROUP", "TYPE", "STATE");
        for (GroupListing group : groups) {
            table.row(group.groupId(), group.type().map(Object::toString).orElse(null),
                    group.groupState().map(Object::toString).orElse(null));
        }
        table.print(out());
        return 0;
    }

    private static GroupType type(String name) {
        GroupType type = GroupType.parse(name.trim());
        if (type == GroupType.UNKNOWN) {
            throw new CliException("unknown group type '" + name + "': give classic, consumer, share or streams");
        }
        return type;
    }
}
