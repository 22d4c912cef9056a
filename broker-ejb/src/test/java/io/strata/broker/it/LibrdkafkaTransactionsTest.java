package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions from librdkafka, the C client under confluent-kafka for Python, Go and .NET: a Python script
 * ({@code librdkafka/transactions.py}, run by Debian's {@code python3-confluent-kafka}, which {@code bin/test}
 * installs) commits, aborts, and commits with consumer offsets sent to the transaction; what librdkafka reads back with
 * each isolation level is what Kafka would give it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LibrdkafkaTransactionsTest {

    /** Debian's interpreter, which has the package's module, whatever else is first on the PATH. */
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 3));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void librdkafkaCommitsAbortsAndSendsOffsetsInTransactions() throws Exception {
        broker.createTopic("from-librdkafka", 1, Map.of());
        Path script = dir.resolve("transactions.py");
        try (InputStream in = getClass().getResourceAsStream("/librdkafka/transactions.py")) {
            Files.copy(in, script);
        }
        Process process;
        try {
            process = new ProcessBuilder(PYTHON, script.toString(), broker.bootstrapServers(), "from-librdkafka",
                    "librdkafka-tx").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(PYTHON + " is missing: bin/test installs python3-confluent-kafka", e);
        }
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the script finished").isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("the script's exit status; its output:%n%s", output).isZero();
        Map<String, String> found = new HashMap<>();
        for (String line : output.split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                found.put(line.substring(0, equals), line.substring(equals + 1).trim());
            }
        }
        assertThat(List.of(found.get("read_committed").split(",")))
                .containsExactly("committed-1", "committed-2", "committed-3");
        assertThat(List.of(found.get("read_uncommitted").split(",")))
                .containsExactly("committed-1", "committed-2", "aborted-1", "committed-3");
        assertThat(found.get("group_offset")).as("the offset sent to the committed transaction").isEqualTo("3");
    }
}
