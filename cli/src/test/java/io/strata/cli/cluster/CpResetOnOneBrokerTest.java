package io.strata.cli.cluster;

import io.strata.broker.it.TestBroker;
import io.strata.cli.Cli.Result;
import io.strata.cli.SharedBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.strata.cli.Cli.strata;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code strata cluster cp-reset} against a broker on its own, which has no controller quorum to reset. */
@ExtendWith(SharedBroker.class)
@Timeout(300)
class CpResetOnOneBrokerTest {

    private final TestBroker broker;

    CpResetOnOneBrokerTest(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void cpResetOnABrokerWithoutAQuorumFailsOnOneLineSayingWhy() {
        Result dryRun = strata(broker, "cluster", "cp-reset");
        Result reset = strata(broker, "cluster", "cp-reset", "--yes");

        for (Result result : new Result[] {dryRun, reset}) {
            assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
            assertThat(result.errLines()).as(result.toString()).hasSize(1);
            assertThat(result.err()).startsWith("strata: the broker refused the CP Subsystem reset: ")
                    .contains("no controller quorum");
        }
    }
}
