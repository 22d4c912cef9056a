package io.strata.cli.perf;

import picocli.CommandLine.Command;

/**
 * {@code strata perf}: groups the load generators. It does nothing by itself; without a subcommand picocli reports
 * the missing subcommand as bad usage.
 *
 * <p>No state.
 */
@Command(name = "perf",
        description = "Measure produce and consume throughput (and produce latency) against a topic.",
        mixinStandardHelpOptions = true,
        subcommands = {PerfProduceCommand.class, PerfConsumeCommand.class})
public final class PerfCommand {
}
