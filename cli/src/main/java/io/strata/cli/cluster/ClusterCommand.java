package io.strata.cli.cluster;

import picocli.CommandLine.Command;

/**
 * {@code strata cluster}: groups the subcommands that act on the cluster as a whole rather than on its topics or
 * groups. It does nothing by itself; without a subcommand picocli reports the missing subcommand as bad usage.
 *
 * <p>No state.
 */
@Command(name = "cluster", description = "Act on the cluster as a whole: its controller quorum.",
        mixinStandardHelpOptions = true, subcommands = {CpResetCommand.class})
public final class ClusterCommand {
}
