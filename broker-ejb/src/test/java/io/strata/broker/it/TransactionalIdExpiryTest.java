package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A transactional id left idle for {@code transactional.id.expiration.ms} is removed, and stays removed after a
 * restart (its tombstone is in {@code __transaction_state}); a producer using it again starts afresh.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransactionalIdExpiryTest {

    @TempDir
    Path dir;

    @Test
    void anIdleTransactionalIdExpiresAndIsGoneAfterARestart() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1,
                BrokerConfig.TRANSACTIONAL_ID_EXPIRATION_MS, 3_600_000L,
                BrokerConfig.TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, 200L))) {
            try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "idle-tx"));
                 Admin admin = broker.admin()) {
                producer.initTransactions();
                assertThat(listed(admin)).containsExactly("idle-tx");

                broker.advanceClock(Duration.ofHours(1).plusMinutes(1));

                await().atMost(Duration.ofSeconds(30)).until(() -> listed(admin).isEmpty());
                assertThatThrownBy(() -> admin.describeTransactions(List.of("idle-tx")).description("idle-tx")
                        .get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(TransactionalIdNotFoundException.class);
            }

            broker.restart();

            try (Admin admin = broker.admin()) {
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                        assertThatThrownBy(() -> admin.describeTransactions(List.of("idle-tx"))
                                .description("idle-tx").get(10, TimeUnit.SECONDS))
                                .hasCauseInstanceOf(TransactionalIdNotFoundException.class));
            }
            try (KafkaProducer<String, String> again = broker.producer(Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "idle-tx"));
                 Admin admin = broker.admin()) {
                again.initTransactions();
                assertThat(admin.describeTransactions(List.of("idle-tx")).description("idle-tx")
                        .get(10, TimeUnit.SECONDS).producerEpoch()).as("a fresh start").isZero();
            }
        }
    }

    private static List<String> listed(Admin admin) throws Exception {
        return admin.listTransactions().all().get(10, TimeUnit.SECONDS).stream()
                .map(TransactionListing::transactionalId).toList();
    }
}
