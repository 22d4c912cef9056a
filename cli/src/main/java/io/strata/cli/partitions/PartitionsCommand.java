package io.strata.cli.partitions;

import picocli.CommandLine.Command;

/**
 * {@code strata partitions}: groups the subcommands that move partitions between brokers and elect their leaders. It
 * does nothing by itself; without a subcommand picocli reports the missing subcommand as bad usage.
 *
 * <p>No state.
 */
@Command(name = "partitions",
        description = "Move partitions to other brokers, follow the moves, and elect partition leaders.",
        mixinStandardHelpOptions = true,
        subcommands = {ReassignPartitionCommand.class, ListReassignmentsCommand.class, ElectLeadersCommand.class})
public final class PartitionsCommand {
}
