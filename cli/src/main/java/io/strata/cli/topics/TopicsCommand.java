package io.strata.cli.topics;

import picocli.CommandLine.Command;

/**
 * {@code strata topics}: groups the topic subcommands. It does nothing by itself; without a subcommand picocli
 * reports the missing subcommand as bad usage.
 *
 * <p>No state.
 */
@Command(name = "topics",
        description = "Create, list, describe, alter and delete topics.",
        mixinStandardHelpOptions = true,
        subcommands = {CreateTopicCommand.class, ListTopicsCommand.class, DescribeTopicCommand.class,
                AlterTopicCommand.class, DeleteTopicCommand.class})
public final class TopicsCommand {
}
