package io.strata.cli.groups;

import picocli.CommandLine.Command;

/**
 * {@code strata groups}: groups the consumer-group subcommands. It does nothing by itself; without a subcommand
 * picocli reports the missing subcommand as bad usage.
 *
 * <p>No state.
 */
@Command(name = "groups",
        description = "List, describe, reset the offsets of, and delete consumer groups.",
        mixinStandardHelpOptions = true,
        subcommands = {ListGroupsCommand.class, DescribeGroupCommand.class, ResetOffsetsCommand.class,
                DeleteGroupCommand.class})
public final class GroupsCommand {
}
