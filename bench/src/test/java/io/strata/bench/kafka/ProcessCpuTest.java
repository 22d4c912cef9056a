package io.strata.bench.kafka;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProcessCpuTest {

    @Test
    void ticksAreUtimePlusStimeCountedFromTheLastParenthesis() {
        // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (java (main) x) S 1 4242 4242 0 -1 4194560 5000 0 3 0 1234 56 7 8 20 0 30 0 100 0\n";

        assertThat(ProcessCpu.ticksOfStat(stat)).isEqualTo(1234 + 56);
    }

    @Test
    void aTruncatedStatLineIsRejected() {
        assertThatThrownBy(() -> ProcessCpu.ticksOfStat("4242 (java) S 1 4242"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too few fields");
    }

    @Test
    void thisJvmHasUsedCpuAndAnExitedProcessCountsNothing() throws Exception {
        ProcessCpu cpu = ProcessCpu.fromGetconf();
        assertThat(cpu.ticksPerSecond()).isPositive();
        assertThat(cpu.cpuSecondsOfTree(ProcessHandle.current())).isPositive();

        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        assertThat(ProcessCpu.ticksOf(exited.pid())).isZero();
    }
}
