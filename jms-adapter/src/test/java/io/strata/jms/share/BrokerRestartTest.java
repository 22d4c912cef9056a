package io.strata.jms.share;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.share.ShareTestCluster.AT_MOST;
import static io.strata.jms.share.ShareTestCluster.prepare;
import static io.strata.jms.share.ShareTestCluster.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker that stops and starts again on the same data while the engine consumes: the engine reconnects, finds the
 * coordinator, joins and opens its share session again and goes on; no record it had accepted comes again, and every
 * record it had not accepted does.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BrokerRestartTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, ShareTestCluster.FAST_SHARE_GROUPS);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void afterARestartTheEngineGoesOnAndRedeliversOnlyWhatItHadNotAccepted() throws Exception {
        prepare(broker, "restarts", "restarters", 60);
        Set<Long> accepted = new HashSet<>();
        boolean restarted = false;
        try (StrataShareConsumer consumer = StrataShareConsumer.open(settings(broker, "restarters", "restarts")
                .withFetch(10, 1 << 20, 200).withBuffer(10, 1 << 20))) {
            long deadline = System.nanoTime() + AT_MOST.multipliedBy(2).toNanos();
            while (accepted.size() < 60) {
                assertThat(System.nanoTime()).as("all accepted in time; accepted " + accepted.size())
                        .isLessThan(deadline);
                List<ShareRecord> records = consumer.poll(10, Duration.ofMillis(200));
                for (ShareRecord record : records) {
                    assertThat(accepted).as("an accepted record delivered again: " + record)
                            .doesNotContain(record.offset());
                }
                if (!restarted && accepted.size() >= 20 && !records.isEmpty()) {
                    // Held and not accepted across the restart: these must come again.
                    broker.restart();
                    restarted = true;
                    continue;
                }
                accept(consumer, records, accepted);
            }
        }
        assertThat(restarted).isTrue();
        assertThat(accepted).hasSize(60);
    }

    /** Accepts the records and counts those the leader confirmed; the others come again. */
    private static void accept(StrataShareConsumer consumer, List<ShareRecord> records, Set<Long> accepted) {
        if (records.isEmpty()) {
            return;
        }
        try {
            for (AcknowledgementResult result : consumer.acknowledgeSync(records, AcknowledgeType.ACCEPT,
                    Duration.ofSeconds(20))) {
                if (result.succeeded()) {
                    accepted.addAll(result.offsets());
                }
            }
        } catch (TimeoutException e) {
            // Unknown outcome while the broker is away: not counted, so a redelivery of these is allowed.
        }
    }
}
