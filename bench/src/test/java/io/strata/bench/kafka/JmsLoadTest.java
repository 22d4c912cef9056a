package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts of the JMS load and of starting Artemis: percentiles, settings' bounds, the ready line. */
class JmsLoadTest {

    @Test
    void percentilesAreNearestRankOverSortedLatencies() {
        long[] hundred = new long[100];
        for (int i = 0; i < hundred.length; i++) {
            hundred[i] = i + 1;
        }

        assertThat(JmsLoad.percentileNanos(hundred, 50)).isEqualTo(50);
        assertThat(JmsLoad.percentileNanos(hundred, 99)).isEqualTo(99);
        assertThat(JmsLoad.percentileNanos(hundred, 100)).isEqualTo(100);
        assertThat(JmsLoad.percentileNanos(new long[] {7}, 99)).isEqualTo(7);
        assertThat(JmsLoad.percentileNanos(new long[0], 50)).isNaN();
    }

    @Test
    void resultFiguresArePerSecondAndPerMillionMessages() {
        JmsLoad.Result result = new JmsLoad.Result(20_000, 4.0, new long[] {1_000_000, 3_000_000}, 0, 2.0, 0.5);

        assertThat(result.messagesPerSecond()).isEqualTo(5_000);
        assertThat(result.brokerCpuSecondsPerMillion()).isEqualTo(100);
        assertThat(result.clientCpuSecondsPerMillion()).isEqualTo(25);
        assertThat(result.latencyMsP50()).isEqualTo(1.0);
        assertThat(result.latencyMsP99()).isEqualTo(3.0);
    }

    @Test
    void aWindowSmallerThanOneTransactionIsRefused() {
        assertThatThrownBy(() -> new JmsLoad.Settings(1_000, 0, 1024, 99, Duration.ofSeconds(1),
                Duration.ofSeconds(1))).hasMessageContaining("at least one transaction, 100 messages: 99");
    }

    @Test
    void artemisIsReadyOnceItPrintedItsReadyLine() {
        assertThat(ArtemisLauncher.readyLine("starting\n" + ArtemisBenchServer.READY + " Apache Artemis 2.56.0,"
                + " journal NIO\n")).isEqualTo(Optional.of("Apache Artemis 2.56.0, journal NIO"));
        assertThat(ArtemisLauncher.readyLine("starting\n")).isEmpty();
    }

    @Test
    void artemisGetsTheHarnessClasspathWithEveryEntryAbsolute() {
        String classpath = String.join(File.pathSeparator, "bench/target/strata-bench.jar", "/opt/x.jar");

        assertThat(ArtemisLauncher.absoluteClasspath(classpath).split(File.pathSeparator)).containsExactly(
                Path.of("bench/target/strata-bench.jar").toAbsolutePath().toString(), "/opt/x.jar");
    }
}
