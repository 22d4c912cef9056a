package io.strata.cli.produce;

import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code strata produce}: sends each line of standard input as one record, and waits until every record is
 * acknowledged (per --acks) before it exits. The first failed send stops reading; the records before it are still
 * delivered, and the failure is the command's one error line.
 *
 * <p>One instance per run; not thread-safe. The producer's I/O thread only writes the first failure.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Send each line of standard input as a record to a topic. A topic that does not exist is "
                        + "created by the broker when it allows that (auto.create.topics.enable), as with Kafka's "
                        + "console producer.", "",
                "Line format: [HEADERS<headers-separator>][KEY<key-separator>]VALUE, where HEADERS is a "
                        + "comma-separated list of KEY=VALUE pairs (possibly empty).",
                "Example: printf 'trace=42,src=web|user1:clicked\\n' | strata produce --topic t "
                        + "--headers-separator '|' --key-separator ':'"})
public final class ProduceCommand extends StrataCommand {

    private static final Set<String> ACKS = Set.of("0", "1", "all", "-1");
    /** Kafka's default max.request.size: a line longer than this cannot become a record anyway. */
    private static final int REQUEST_BYTES_MAX_DEFAULT = 1_048_576;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to send to.")
    private String topic;

    @Option(names = "--key-separator", paramLabel = "SEP",
            description = "Split each line at the first SEP into key and value. Default: no key.")
    private String keySeparator;

    @Option(names = "--header", paramLabel = "KEY=VALUE", description = "A header for every record (repeatable).")
    private List<String> headers = new ArrayList<>();

    @Option(names = "--headers-separator", paramLabel = "SEP",
            description = "Each line starts with its own headers, KEY=VALUE pairs joined by commas, ended by SEP.")
    private String headersSeparator;

    @Option(names = "--acks", paramLabel = "0|1|all", defaultValue = "all",
            description = "Acknowledgement to wait for: 0 none, 1 the leader, all the in-sync replicas. "
                    + "Default: ${DEFAULT-VALUE}.")
    private String acks;

    @Option(names = "--partition", paramLabel = "N",
            description = "Send every record to this partition. Default: by key hash, or spread when keyless.")
    private Integer partition;

    @Override
    protected int run() throws IOException {
        if (!ACKS.contains(acks)) {
            throw usageError("--acks must be 0, 1 or all, got '" + acks + "'");
        }
        if (keySeparator != null && keySeparator.isEmpty() || headersSeparator != null && headersSeparator.isEmpty()) {
            throw usageError("separators must not be empty");
        }
        List<Header> fixedHeaders = new ArrayList<>();
        for (String header : headers) {
            if (header.indexOf('=') <= 0) {
                throw usageError("--header expects KEY=VALUE, got '" + header + "'");
            }
            fixedHeaders.add(LineParser.header(header, "--header"));
        }
        LineParser parser = new LineParser(keySeparator, headersSeparator, fixedHeaders);
        Properties properties = clients().producerProperties(Map.of(ProducerConfig.ACKS_CONFIG, acks));
        Reader input = new InputStreamReader(terminal().in(), StandardCharsets.UTF_8);
        LineReader lines = new LineReader(new BufferedReader(input), lineCharsMax(properties));
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(properties)) {
            try (Admin admin = clients().createAdmin()) {
                TopicLookup.partitionCountForProducing(admin, producer, topic, partition);
            }
            try {
                sendLines(producer, lines, parser, failure);
            } finally {
                // Deliver what was sent even when a later line is bad, so the input up to it is not lost.
                producer.flush();
            }
        }
        if (failure.get() != null) {
            throw new CliException("sending to topic '" + topic + "' failed: " + failure.get().getMessage(),
                    failure.get());
        }
        return 0;
    }

    private void sendLines(KafkaProducer<byte[], byte[]> producer, LineReader lines, LineParser parser,
                           AtomicReference<Exception> failure) throws IOException {
        for (String line = lines.next(); line != null && failure.get() == null; line = lines.next()) {
            LineParser.ParsedLine parsed = parser.parse(line, lines.lineNumber());
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, parsed.key(),
                    parsed.value(), parsed.headers());
            producer.send(record, (metadata, exception) -> {
                if (exception != null) {
                    failure.compareAndSet(null, exception);
                }
            });
        }
    }

    private static int lineCharsMax(Properties properties) {
        Object configured = properties.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (configured == null) {
            return REQUEST_BYTES_MAX_DEFAULT;
        }
        try {
            return Integer.parseInt(configured.toString().trim());
        } catch (NumberFormatException e) {
            throw new CliException("max.request.size must be a number, got '" + configured + "'");
        }
    }
}
