package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchSettingsTest {

    @Test
    void defaultsRunTheFullMatrixAgainstBothBrokers() {
        BenchSettings settings = BenchSettings.parse(new String[0], Map.of());

        assertThat(settings.brokers()).containsExactly("kafka", "strata");
        assertThat(settings.cases()).hasSize(8).contains(new BenchCase(100, "1", 1), new BenchCase(1024, "all", 12));
        assertThat(settings.strataCommand()).isEqualTo(BenchSettings.DEFAULT_STRATA_COMMAND);
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
    void unknownOptionsAndValuesTheToolsCannotTakeAreRejected() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--recrods", "5"}, Map.of()))
                .hasMessageContaining("unknown option --recrods");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--acks", "0"}, Map.of()))
                .hasMessageContaining("acks must be 1 or all");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--brokers", "rabbit"}, Map.of()))
                .hasMessageContaining("--brokers");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--records", "0"}, Map.of()))
                .hasMessageContaining("--records must be between 1");
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--records"}, Map.of()))
                .hasMessageContaining("needs a value");
    }

    @Test
    void helpIsAskedFor() {
        assertThatThrownBy(() -> BenchSettings.parse(new String[] {"--help"}, Map.of()))
                .isInstanceOf(BenchSettings.UsageRequested.class);
        assertThat(BenchSettings.USAGE).contains("--brokers", "--strata-cmd", BenchSettings.STRATA_COMMAND_ENV);
    }

    @Test
    void theStrataCommandGetsThePortAndLogDirFilledIn() {
        assertThat(StrataLauncher.command(BenchSettings.DEFAULT_STRATA_COMMAND, 9092, java.nio.file.Path.of("/tmp/d")))
                .isEqualTo("bin/strata-server --override log.dirs=/tmp/d"
                        + " --override listeners=PLAINTEXT://127.0.0.1:9092");
        assertThatThrownBy(() -> StrataLauncher.command("bin/strata-server", 9092, java.nio.file.Path.of("/tmp/d")))
                .hasMessageContaining("{port}");
        assertThat(List.of(BenchSettings.KAFKA, BenchSettings.STRATA)).doesNotHaveDuplicates();
    }
}
