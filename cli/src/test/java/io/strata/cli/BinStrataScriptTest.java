package io.strata.cli;

import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs bin/strata as a real process, as an operator would: the script, the classpath it builds, the process's own
 * logging (which must stay quiet) and the exit code.
 */
@ExtendWith(SharedBroker.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BinStrataScriptTest {

    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .toAbsolutePath().resolve("../bin/strata").normalize();
    private static final long PROCESS_SECONDS_MAX = 60;

    private final TestBroker broker;

    BinStrataScriptTest(TestBroker broker) {
        this.broker = broker;
    }

    /** What a process printed and returned. */
    private record Run(int exitCode, String out, String err) {
    }

    @Test
    void scriptProducesFromStandardInputAndConsumesBack() throws Exception {
        broker.createTopic("scripted", 1, Map.of());

        Run produced = run("key-1=first\nkey-2=second\n", "produce", "--topic", "scripted", "--key-separator", "=");
        Run consumed = run("", "consume", "--topic", "scripted", "--from-beginning", "--max-messages", "2",
                "--timeout-ms", "15000", "--print-key", "--print-offset");

        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.err()).isEmpty();
        assertThat(consumed.exitCode()).as(consumed.err()).isZero();
        assertThat(consumed.out()).isEqualTo("Offset:0\tkey-1\tfirst\nOffset:1\tkey-2\tsecond\n");
        assertThat(consumed.err()).isEqualTo("Processed a total of 2 messages\n");
    }

    @Test
    void scriptReportsAnErrorAsOneLineWithoutStackTrace() throws Exception {
        Run result = run("", "topics", "describe", "--topic", "not-there");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("strata: topic 'not-there' does not exist\n");
    }

    /** Runs the script with the broker's address in STRATA_BOOTSTRAP_SERVERS, as a shell profile would set it. */
    private Run run(String stdin, String... args) throws IOException, InterruptedException {
        assertThat(SCRIPT).isExecutable();
        List<String> command = new ArrayList<>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put(ClientSettings.BOOTSTRAP_ENV, broker.bootstrapServers());
        // The same JDK as this test, whatever java the PATH would find first.
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator
                + builder.environment().getOrDefault("PATH", ""));
        Path out = Files.createTempFile("strata-out", ".txt");
        Path err = Files.createTempFile("strata-err", ".txt");
        try {
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process = builder.start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(PROCESS_SECONDS_MAX, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("bin/strata " + String.join(" ", args) + " did not finish in "
                        + PROCESS_SECONDS_MAX + " s; stderr: " + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
