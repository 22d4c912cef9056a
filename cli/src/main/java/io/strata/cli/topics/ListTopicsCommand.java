package io.strata.cli.topics;

import io.strata.cli.Await;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.TreeSet;

/**
 * {@code strata topics list}: prints the topic names, one a line, sorted, so the output pipes into other tools.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List topic names, one a line.")
public final class ListTopicsCommand extends StrataCommand {

    @Option(names = "--internal", description = "Include internal topics such as __consumer_offsets.")
    private boolean internal;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            for (String name : new TreeSet<>(Await.result(
                    admin.listTopics(new ListTopicsOptions().listInternal(internal)).names()))) {
                out().println(name);
            }
        }
        return 0;
    }
}
