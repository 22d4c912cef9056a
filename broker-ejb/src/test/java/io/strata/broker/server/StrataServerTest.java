package io.strata.broker.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The start command's answers to settings it cannot use: a one-line reason and exit code 2, never a stack trace. */
class StrataServerTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStandardError() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStandardError() {
        System.setErr(originalErr);
    }

    private int run(String... args) {
        return new CommandLine(new StrataServer()).execute(args);
    }

    private String errors() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aMissingConfigFileIsNamedWithoutAStackTrace(@TempDir Path dir) {
        Path missing = dir.resolve("broker.properties");

        assertThat(run("--config", missing.toString())).isEqualTo(2);
        assertThat(errors()).isEqualTo("strata-server: no config file " + missing + System.lineSeparator());
    }

    @Test
    void aConfigFileThatIsNotPropertiesIsRefused(@TempDir Path dir) throws Exception {
        Path broken = dir.resolve("broker.properties");
        Files.writeString(broken, "log.dirs=\\u12", StandardCharsets.UTF_8);

        assertThat(run("--config", broken.toString())).isEqualTo(2);
        assertThat(errors()).startsWith("strata-server: cannot read config file " + broken + ": ")
                .doesNotContain("\tat ");
    }

    @Test
    void anInvalidSettingNamesTheSetting(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("broker.properties");
        Files.writeString(config, "node.id=not-a-number\n", StandardCharsets.UTF_8);

        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(errors()).startsWith("strata-server: ").contains("node.id").doesNotContain("\tat ");
    }

    @Test
    void anOverrideWithoutAValueIsRefused() {
        assertThat(run("--override", "node.id")).isEqualTo(2);
        assertThat(errors()).contains("--override needs KEY=VALUE, not 'node.id'");
    }
}
