package io.strata.cli;

import io.strata.cli.cluster.ClusterCommand;
import io.strata.cli.consume.ConsumeCommand;
import io.strata.cli.groups.GroupsCommand;
import io.strata.cli.partitions.PartitionsCommand;
import io.strata.cli.perf.PerfCommand;
import io.strata.cli.produce.ProduceCommand;
import io.strata.cli.topics.TopicsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code strata} command: the root of the command tree and its global options, which every subcommand
 * inherits and may be given before or after the subcommand's name. {@link #main} runs it as a process;
 * {@link #execute} runs it against any {@link Terminal}, which is how the tests drive it in-process.
 *
 * <p>One instance serves one run and is not thread-safe; picocli fills its fields while parsing.
 */
@Command(name = "strata",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Administer and use a Strata (or any Kafka-protocol) cluster through the Kafka protocol.",
        subcommands = {
                TopicsCommand.class, PartitionsCommand.class, ProduceCommand.class, ConsumeCommand.class,
                GroupsCommand.class, PerfCommand.class, ClusterCommand.class, CommandLine.HelpCommand.class},
        footer = {"",
                "Errors are one line on standard error and a non-zero exit code: 1 when the operation failed, "
                        + "2 for bad usage. --verbose adds the stack trace and the client's log."})
public final class StrataCli {

    @Option(names = "--bootstrap-server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Broker(s) to connect to. Default: $" + ClientSettings.BOOTSTRAP_ENV
                    + ", else bootstrap.servers from --command-config, else "
                    + ClientSettings.DEFAULT_BOOTSTRAP_SERVERS + ".")
    private String bootstrapServer;

    @Option(names = "--command-config", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Properties file with extra kafka-clients settings (security, timeouts, ...).")
    private Path commandConfig;

    @Option(names = "--request-timeout-ms", scope = ScopeType.INHERIT, paramLabel = "MS", defaultValue = "30000",
            description = "How long to wait for the broker to answer before giving up. Default: ${DEFAULT-VALUE}.")
    private int requestTimeoutMs;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show stack traces of errors and the client's log.")
    private boolean verbose;

    private final Terminal terminal;
    private ClientSettings clientSettings;

    public StrataCli(Terminal terminal) {
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        // Logging is the process's concern, so it is set here and not in execute(): in-process callers keep theirs.
        Logging.configure(List.of(args).contains("--verbose") || List.of(args).contains("-v"));
        int exitCode = execute(Terminal.system(), args);
        System.exit(exitCode);
    }

    /** Runs one command line to completion and returns its exit code; never throws for user errors. */
    public static int execute(Terminal terminal, String... args) {
        StrataCli cli = new StrataCli(terminal);
        CommandLine commandLine = new CommandLine(cli);
        ErrorReporter errors = new ErrorReporter(cli);
        commandLine.setOut(terminal.out());
        commandLine.setErr(terminal.err());
        commandLine.setExecutionExceptionHandler(errors);
        commandLine.setParameterExceptionHandler(errors);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        try {
            return commandLine.execute(args);
        } finally {
            terminal.out().flush();
            terminal.err().flush();
        }
    }

    public Terminal terminal() {
        return terminal;
    }

    public boolean verbose() {
        return verbose;
    }

    /**
     * The client settings of this run, from the global options, resolved (and the --command-config file read) once;
     * fails with a one-line error on a bad file.
     */
    public ClientSettings clientSettings() {
        if (clientSettings == null) {
            clientSettings = ClientSettings.resolve(bootstrapServer, commandConfig, requestTimeoutMs, terminal.env());
        }
        return clientSettings;
    }

    /** The bootstrap servers for error messages; never fails, unlike {@link #clientSettings()}. */
    String bootstrapServersForMessages() {
        try {
            return clientSettings().bootstrapServers();
        } catch (CliException e) {
            return bootstrapServer == null ? ClientSettings.DEFAULT_BOOTSTRAP_SERVERS : bootstrapServer;
        }
    }

    int requestTimeoutMs() {
        return requestTimeoutMs;
    }
}
