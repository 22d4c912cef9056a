package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchSettingsTest {

    @Test
    void defaultsRunTheFullMatrixAgainstBothBrokers() {
        BenchSettings settings = BenchSettings.parse(new String[0], Map.of());

        assertThat(settings.brokers()).containsExactly("kafka", "strata");
        assertThat(settings.cases()).hasSize(8).contains(new BenchCase(100, "1", 1), new BenchCase(1024, "all", 12));
        assertThat(settings.strataCommand()).isEqualTo(BenchSettings.DEFAULT_STRATA_COMMAND);
        assertThat(settings.strataMicroCommand()).isEqualTo(BenchSettings.DEFAULT_STRATA_MICRO_COMMAND);
    }

    @Test
    void strataOnPayaraMicroIsAThirdBrokerRunInTheOrderGivenWithALongerStartTimeout() {
        BenchSettings settings = BenchSettings.parse(new String[] {"--brokers", "strata-micro,kafka,strata"},
                Map.of());

        assertThat(settings.brokers()).containsExactly("strata-micro", "kafka", "strata");
        assertThat(settings.commandOf("strata")).isEqualTo(BenchSettings.DEFAULT_STRATA_COMMAND);
        assertThat(settings.commandOf("strata-micro")).isEqualTo(BenchSettings.DEFAULT_STRATA_MICRO_COMMAND);
        assertThat(settings.startTimeoutOf("kafka")).isEqualTo(Duration.ofSeconds(120));
        assertThat(settings.startTimeoutOf("strata")).isEqualTo(Duration.ofSeconds(120));
        assertThat(settings.startTimeoutOf("strata-micro")).isEqualTo(Duration.ofSeconds(300));
        assertThatThrownBy(() -> settings.commandOf("kafka")).hasMessageContaining("no start command");
    }

    @Test
    void eachStartTimeoutHasItsOwnOption() {
        BenchSettings settings = BenchSettings.parse(new String[] {"--brokers", "strata,strata-micro",
                "--start-timeout-s", "30", "--strata-micro-start-timeout-s", "90"}, Map.of());

        assertThat(settings.startTimeoutOf("strata")).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.startTimeoutOf("strata-micro")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--strata-micro-start-timeout-s", "0"}, Map.of()))
                .hasMessageContaining("--strata-micro-start-timeout-s must be between 1");
    }

    @Test
    void optionsOverrideTheEnvironmentWhichOverridesTheDefaultStrataMicroCommand() {
        Map<String, String> environment = Map.of(BenchSettings.STRATA_MICRO_COMMAND_ENV,
                "from-env {port} {httpPort}");

        assertThat(BenchSettings.parse(new String[0], environment).strataMicroCommand())
                .isEqualTo("from-env {port} {httpPort}");
        assertThat(BenchSettings.parse(new String[] {"--strata-micro-cmd", "from-option {port} {httpPort}"},
                environment).strataMicroCommand()).isEqualTo("from-option {port} {httpPort}");
    }

    @Test
    void aStartCommandWithoutItsPlaceholdersIsRejectedBeforeAnyBrokerRunsButOnlyIfItsBrokerIsSelected() {
        String[] microWithoutHttpPort = {"--brokers", "kafka,strata-micro",
                "--strata-micro-cmd", "STRATA_LISTENERS=PLAINTEXT://127.0.0.1:{port} bin/strata-micro"};
        assertThatThrownBy(() -> BenchSettings.parse(microWithoutHttpPort, Map.of()))
                .hasMessageContaining("{httpPort}");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--strata-cmd", "bin/strata-server"}, Map.of()))
                .hasMessageContaining("{port}");
        assertThat(BenchSettings.parse(new String[] {"--brokers", "kafka", "--strata-micro-cmd", "nothing"},
                Map.of()).brokers()).containsExactly("kafka");
    }

    @Test
    void optionsOverrideTheEnvironmentWhichOverridesTheDefaultStrataCommand() {
        Map<String, String> environment = Map.of(BenchSettings.STRATA_COMMAND_ENV, "from-env {port}");

        assertThat(BenchSettings.parse(new String[0], environment).strataCommand()).isEqualTo("from-env {port}");
        assertThat(BenchSettings.parse(new String[] {"--strata-cmd", "from-option {port}"}, environment)
                .strataCommand()).isEqualTo("from-option {port}");
    }

    @Test
    void listsAndCountsAreParsed() {
        BenchSettings settings = BenchSettings.parse(new String[] {"--brokers", "kafka", "--records", "5000",
                "--e2e-records", "50", "--record-sizes", "512", "--acks", "all", "--partitions", "3,6"}, Map.of());

        assertThat(settings.brokers()).containsExactly("kafka");
        assertThat(settings.records()).isEqualTo(5000);
        assertThat(settings.latencyRecords()).isEqualTo(50);
        assertThat(settings.cases()).containsExactly(new BenchCase(512, "all", 3), new BenchCase(512, "all", 6));
    }

    @Test
    void everyCaseIsRunOncePerConsumerKindAndEachKindNamesItsCase() {
        BenchSettings settings = BenchSettings.parse(new String[] {"--record-sizes", "100", "--acks", "all",
                "--partitions", "1", "--consumers", "classic,consumer,share-1,share-4"}, Map.of());

        assertThat(settings.cases()).extracting(BenchCase::id).containsExactly("100b-acksall-p1",
                "100b-acksall-p1-consumer", "100b-acksall-p1-share-1", "100b-acksall-p1-share-4");
        assertThat(settings.cases().get(1).consumer().groupProtocol()).isEqualTo("consumer");
        assertThat(settings.cases().get(3).consumer().threads()).isEqualTo(4);
        assertThat(settings.cases().get(3).label()).isEqualTo("100 B, acks=all, 1 partition, 4 share consumers");
    }

    @Test
    void consumerKindsThatCannotRunAreRefused() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--consumers", "share"}, Map.of()))
                .hasMessageContaining("share-1, share-4");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--consumers", "share-0"}, Map.of()))
                .hasMessageContaining("1 to 64 threads");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--consumers", "streams"}, Map.of()))
                .hasMessageContaining("classic, consumer or share-N");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--consumers", "classic,classic"}, Map.of()))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--consumers", "share-2",
                "--transaction-duration-ms", "100"}, Map.of())).hasMessageContaining("without transactions");
    }

    @Test
    void aTransactionDurationMakesEveryCaseTransactionalWithAcksAllAndItsOwnTransactionalId() {
        BenchSettings settings = BenchSettings.parse(new String[] {"--transaction-duration-ms", "100",
                "--record-sizes", "100,1024", "--partitions", "1"}, Map.of());

        assertThat(settings.transactional()).isTrue();
        assertThat(settings.cases()).containsExactly(new BenchCase(100, "all", 1, 100),
                new BenchCase(1024, "all", 1, 100));
        BenchCase transactional = settings.cases().get(1);
        assertThat(transactional.label()).isEqualTo("1024 B, acks=all, 1 partition, transactions of 100 ms,"
                + " read_committed");
        assertThat(transactional.transactionalId()).isEqualTo("bench-1024b-acksall-p1-txn100");
        assertThat(transactional.throughputTopic()).isEqualTo("bench-1024b-acksall-p1-txn100");
        assertThat(KafkaTools.Transactions.of(transactional).producerArguments()).containsExactly(
                "--transactional-id", "bench-1024b-acksall-p1-txn100", "--transaction-duration-ms", "100");
    }

    @Test
    void withoutATransactionDurationCasesKeepTheirIdsAndProduceWithoutTransactions() {
        BenchCase plain = BenchSettings.parse(new String[0], Map.of()).cases().get(0);

        assertThat(plain.transactional()).isFalse();
        assertThat(plain.id()).isEqualTo("100b-acks1-p1");
        assertThat(plain.label()).isEqualTo("100 B, acks=1, 1 partition");
        assertThat(KafkaTools.Transactions.of(plain)).isEqualTo(KafkaTools.Transactions.NONE);
        assertThat(KafkaTools.Transactions.NONE.producerArguments()).isEmpty();
        assertThatThrownBy(plain::transactionalId).hasMessageContaining("not transactional");
    }

    @Test
    void transactionsWithAcksOtherThanAllOrADurationOutOfRangeAreRejected() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--transaction-duration-ms", "100",
                "--acks", "1,all"}, Map.of())).hasMessageContaining("a transactional producer needs acks=all");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--transaction-duration-ms", "-5"}, Map.of()))
                .hasMessageContaining("--transaction-duration-ms must be between 1 and 60000");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--transaction-duration-ms", "60001"}, Map.of()))
                .hasMessageContaining("--transaction-duration-ms must be between 1 and 60000");
        assertThatThrownBy(() -> new KafkaTools.Transactions("bench-x", 0))
                .hasMessageContaining("needs both an id and a positive duration");
        assertThat(BenchSettings.USAGE).contains("--transaction-duration-ms", "read_committed");
    }

    @Test
    void unknownOptionsAndValuesTheToolsCannotTakeAreRejected() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--recrods", "5"}, Map.of()))
                .hasMessageContaining("unknown option --recrods");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--acks", "0"}, Map.of()))
                .hasMessageContaining("acks must be 1 or all");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--brokers", "rabbit"}, Map.of()))
                .hasMessageContaining("--brokers");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--brokers", "strata,strata"}, Map.of()))
                .hasMessageContaining("each at most once");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--records", "0"}, Map.of()))
                .hasMessageContaining("--records must be between 1");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--records"}, Map.of()))
                .hasMessageContaining("needs a value");
    }

    @Test
    void helpIsAskedFor() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--help"}, Map.of()))
                .isInstanceOf(BenchSettings.UsageRequested.class);
        assertThat(BenchSettings.USAGE).contains("--brokers", "--strata-cmd", BenchSettings.STRATA_COMMAND_ENV,
                "strata-micro", "--strata-micro-cmd", BenchSettings.STRATA_MICRO_COMMAND_ENV,
                BenchSettings.DEFAULT_STRATA_MICRO_COMMAND, "--strata-micro-start-timeout-s");
    }

    @Test
    void theStrataCommandGetsThePortAndLogDirFilledIn() {
        assertThat(StrataLauncher.command(BenchSettings.DEFAULT_STRATA_COMMAND, 9092, 8181, Path.of("/tmp/d")))
                .isEqualTo("bin/strata-server --override log.dirs=/tmp/d"
                        + " --override listeners=PLAINTEXT://127.0.0.1:9092"
                        + " --override group.initial.rebalance.delay.ms=0");
        assertThatThrownBy(() -> StrataLauncher.requirePlaceholders("strata", "bin/strata-server"))
                .hasMessageContaining("{port}");
        assertThat(BenchSettings.BROKER_KINDS).doesNotHaveDuplicates();
    }

    @Test
    void theStrataMicroCommandGetsThePortLogDirAndHttpPortFilledIn() {
        assertThat(StrataLauncher.command(BenchSettings.DEFAULT_STRATA_MICRO_COMMAND, 9092, 8181, Path.of("/tmp/d")))
                .isEqualTo("STRATA_LISTENERS=PLAINTEXT://127.0.0.1:9092 STRATA_LOG_DIRS=/tmp/d"
                        + " STRATA_GROUP_INITIAL_REBALANCE_DELAY_MS=0 bin/strata-micro --port 8181");
        assertThatThrownBy(() -> StrataLauncher.requirePlaceholders("strata-micro", "bin/strata-micro {port}"))
                .hasMessageContaining("{httpPort}");
        assertThatCode(() -> StrataLauncher.requirePlaceholders("strata", "bin/strata-server {port}"))
                .doesNotThrowAnyException();
    }
}
