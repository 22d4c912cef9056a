package io.strata.cli.topics;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/**
 * {@code strata topics delete}: deletes topics and their records through Admin.deleteTopics, reporting each one.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete topics and all their records.")
public final class DeleteTopicCommand extends StrataCommand {

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to delete (repeatable).")
    private List<String> topics;

    @Option(names = "--if-exists", description = "Succeed for topics that do not exist.")
    private boolean ifExists;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            Map<String, KafkaFuture<Void>> results = admin.deleteTopics(topics).topicNameValues();
            for (String topic : topics) {
                try {
                    Await.result(results.get(topic));
                    out().println("Deleted topic '" + topic + "'.");
                } catch (UnknownTopicOrPartitionException e) {
                    if (!ifExists) {
                        throw CliException.unknownTopic(topic, e);
                    }
                }
            }
        }
        return 0;
    }
}
