package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JmsBenchSettingsTest {

    @Test
    void theDefaultRunMeasuresBothBrokersThroughAllSixteenCases() {
        JmsBenchSettings settings = JmsBenchSettings.parse(new String[0], Map.of());

        assertThat(settings.brokers()).containsExactly("strata", "artemis");
        assertThat(settings.cases()).hasSize(16).doesNotHaveDuplicates();
        assertThat(settings.cases().get(0).id()).isEqualTo("persistent-sync-queue-1");
        assertThat(settings.cases().get(15).id()).isEqualTo("transacted-shared-4");
        assertThat(settings.cases().stream().map(JmsCase::consumers).distinct()).containsExactly(1, 4);
        assertThat(settings.messageBytes()).isEqualTo(1024);
        assertThat(settings.strataCommand()).isEqualTo(BenchSettings.DEFAULT_STRATA_COMMAND);
        assertThat(settings.artemisJournalBufferTimeoutNanos()).isEmpty();
        assertThat(settings.outputDir()).isEqualTo(Path.of("bench/target/bench-jms"));
    }

    @Test
    void persistentSyncCasesSendFewerMessagesAndEveryCaseWarmsUpWithAFifthUnlessToldOtherwise() {
        JmsBenchSettings settings = JmsBenchSettings.parse(new String[] {"--messages", "50000",
                "--sync-messages", "4000"}, Map.of());
        JmsCase sync = settings.cases().get(0);
        JmsCase transacted = settings.cases().get(15);

        assertThat(settings.messagesOf(sync)).isEqualTo(4_000);
        assertThat(settings.warmupMessagesOf(sync)).isEqualTo(800);
        assertThat(settings.messagesOf(transacted)).isEqualTo(50_000);
        assertThat(settings.loadSettings(transacted)).isEqualTo(new JmsLoad.Settings(50_000, 10_000, 1024,
                JmsBenchSettings.WINDOW_DEFAULT, Duration.ofSeconds(60), Duration.ofSeconds(300)));

        JmsBenchSettings fixedWarmup = JmsBenchSettings.parse(new String[] {"--warmup-messages", "0"}, Map.of());
        assertThat(fixedWarmup.warmupMessagesOf(sync)).isZero();
        assertThat(fixedWarmup.warmupMessagesOf(transacted)).isZero();
    }

    @Test
    void anUnmeasuredFirstPassRunsEveryCaseOnDestinationsOfItsOwnUnlessSwitchedOff() {
        JmsBenchSettings settings = JmsBenchSettings.parse(new String[] {"--pass-messages", "30000"}, Map.of());
        JmsCase sync = settings.cases().get(0);

        assertThat(settings.passMessagesPerCase()).isEqualTo(30_000);
        JmsLoad.Settings pass = settings.passLoadSettings(sync);
        assertThat(pass.messages()).as("a persistent-sync case, in the ratio of its measured messages")
                .isEqualTo(30_000 * JmsBenchSettings.SYNC_MESSAGES_DEFAULT / JmsBenchSettings.MESSAGES_DEFAULT);
        assertThat(settings.passLoadSettings(settings.cases().get(15)).messages()).isEqualTo(30_000);
        assertThat(pass.warmupMessages()).isZero();
        assertThat(pass.namePrefix() + sync.destinationName()).isNotEqualTo(sync.destinationName())
                .matches("[a-zA-Z0-9._-]{1,249}");
        assertThat(settings.loadSettings(sync).namePrefix()).isEmpty();

        JmsBenchSettings off = JmsBenchSettings.parse(new String[] {"--pass-messages", "0"}, Map.of());
        assertThat(off.passMessages()).isZero();
        assertThat(off.passMessagesPerCase()).isZero();
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--pass-messages", "-1"}, Map.of()))
                .hasMessageContaining("--pass-messages");
    }

    @Test
    void aFirstPassOverFewCasesIsRaisedToTheTotalThatLeavesBothJvmsCompiled() {
        JmsBenchSettings all = JmsBenchSettings.parse(new String[0], Map.of());
        assertThat(all.passMessagesPerCase()).as("16 cases share the minimum")
                .isEqualTo(Math.max(JmsBenchSettings.PASS_MESSAGES_DEFAULT, JmsBenchSettings.PASS_TOTAL_MIN / 16));

        JmsBenchSettings transacted = JmsBenchSettings.parse(new String[] {"--cases", "transacted"}, Map.of());
        assertThat(transacted.passMessagesPerCase()).isEqualTo(JmsBenchSettings.PASS_TOTAL_MIN / 4);
        assertThat(transacted.cases().stream().mapToLong(transacted::passMessagesOf).sum())
                .isGreaterThanOrEqualTo(JmsBenchSettings.PASS_TOTAL_MIN);

        JmsBenchSettings one = JmsBenchSettings.parse(new String[] {"--cases", "persistent-sync-queue-1"}, Map.of());
        assertThat(one.passMessagesOf(one.cases().get(0))).as("persistent-sync: in the ratio of its measured messages")
                .isEqualTo((int) ((long) JmsBenchSettings.PASS_TOTAL_MIN * JmsBenchSettings.SYNC_MESSAGES_DEFAULT
                        / JmsBenchSettings.MESSAGES_DEFAULT));
    }

    @Test
    void casesAreSelectedByIdOrByTheStartOfIdsUpToADashInTheMatrixOrder() {
        assertThat(ids("transacted")).containsExactly("transacted-queue-1", "transacted-queue-4",
                "transacted-shared-1", "transacted-shared-4");
        // "persistent" is the start of both persistent modes' ids, and not of "non-persistent-...".
        assertThat(ids("persistent")).hasSize(8).allMatch(id -> id.startsWith("persistent-"));
        assertThat(ids("non-persistent-shared-4,persistent-sync-queue")).containsExactly("persistent-sync-queue-1",
                "persistent-sync-queue-4", "non-persistent-shared-4");
        // A selector is not a substring: "queue-1" starts no id.
        assertThatThrownBy(() -> ids("queue-1")).hasMessageContaining("--cases: queue-1 names no case");
        assertThatThrownBy(() -> ids("transacted-shared-")).hasMessageContaining("names no case");
    }

    @Test
    void everyCaseHasADestinationAndASubscriptionNameOfItsOwn() {
        List<JmsCase> cases = JmsCase.matrix();

        // Artemis names a shared subscription's queue after the subscription alone and refuses a second on another
        // topic, so one name for all cases fails every shared case after the first.
        assertThat(cases.stream().map(JmsCase::subscriptionName)).doesNotHaveDuplicates();
        assertThat(cases.stream().map(JmsCase::destinationName)).doesNotHaveDuplicates()
                .allMatch(name -> name.matches("[a-zA-Z0-9._-]{1,249}"));
    }

    @Test
    void brokersAreRunInTheOrderGivenEachAtMostOnce() {
        assertThat(JmsBenchSettings.parse(new String[] {"--brokers", "artemis,strata"}, Map.of()).brokers())
                .containsExactly("artemis", "strata");
        assertThat(JmsBenchSettings.parse(new String[] {"--brokers", "Artemis"}, Map.of()).brokers())
                .containsExactly("artemis");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--brokers", "kafka"}, Map.of()))
                .hasMessageContaining("--brokers takes any of strata, artemis");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--brokers", "strata,strata"}, Map.of()))
                .hasMessageContaining("each at most once");
    }

    @Test
    void theStrataCommandComesFromTheOptionElseTheEnvironmentAndMustTakeAPort() {
        Map<String, String> environment = Map.of(BenchSettings.STRATA_COMMAND_ENV, "bin/strata-server --port {port}");

        assertThat(JmsBenchSettings.parse(new String[0], environment).strataCommand())
                .isEqualTo("bin/strata-server --port {port}");
        assertThat(JmsBenchSettings.parse(new String[] {"--strata-cmd", "x {port}"}, environment).strataCommand())
                .isEqualTo("x {port}");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--strata-cmd", "bin/strata-server"}, Map.of()))
                .hasMessageContaining("{port}");
        // Artemis alone needs no Strata command.
        assertThat(JmsBenchSettings.parse(new String[] {"--brokers", "artemis", "--strata-cmd", "none"}, Map.of())
                .brokers()).containsExactly("artemis");
    }

    @Test
    void valuesOutOfRangeUnknownOptionsAndMissingValuesAreRejected() {
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--messages", "0"}, Map.of()))
                .hasMessageContaining("--messages must be between 1");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--messages", "lots"}, Map.of()))
                .hasMessageContaining("--messages takes a whole number: lots");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--window", "99"}, Map.of()))
                .hasMessageContaining("--window must be between 100");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--warmup-messages", "-1"}, Map.of()))
                .hasMessageContaining("--warmup-messages must be between 0");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--mesages", "5"}, Map.of()))
                .hasMessageContaining("unknown option --mesages");
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--messages"}, Map.of()))
                .hasMessageContaining("needs a value");
        assertThat(JmsBenchSettings.parse(new String[] {"--artemis-journal-buffer-timeout-ns", "500000"}, Map.of())
                .artemisJournalBufferTimeoutNanos()).isEqualTo(Optional.of(500_000));
    }

    @Test
    void helpIsAskedForAndNamesEveryOption() {
        assertThatThrownBy(() -> JmsBenchSettings.parse(new String[] {"--help"}, Map.of()))
                .isInstanceOf(BenchSettings.UsageRequested.class);
        assertThat(JmsBenchSettings.USAGE).contains("--brokers", "--cases", "--messages", "--sync-messages",
                "--warmup-messages", "--message-bytes", "--window", "--strata-cmd", BenchSettings.STRATA_COMMAND_ENV,
                "--artemis-journal-buffer-timeout-ns", "--start-timeout-s", "--case-timeout-s", "--prime-timeout-s",
                "--out", "--scratch-dir");
    }

    private static List<String> ids(String selectors) {
        return JmsBenchSettings.parse(new String[] {"--cases", selectors}, Map.of()).cases().stream()
                .map(JmsCase::id).toList();
    }
}
