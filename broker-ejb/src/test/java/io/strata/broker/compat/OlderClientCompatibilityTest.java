package io.strata.broker.compat;

import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@link ClientScenarios} in its own JVM with kafka-clients 3.9 on the classpath against a Strata broker, and
 * again with kafka-clients 4.3, so that both client lines are known to work.
 */
class OlderClientCompatibilityTest {

    @TempDir
    Path dir;

    private static List<String> run(String classpath, String bootstrap) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx256m", "-cp", classpath, ClientScenarios.class.getName(),
                bootstrap).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
        List<String> lines = output.lines().toList();
        assertThat(process.exitValue()).as("scenarios said: %s", lines).isZero();
        return lines;
    }

    private static String compatClasspath() throws IOException {
        Path testClasses = Path.of(ClientScenarios.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Path jars = testClasses.getParent().resolve("kafka-clients-compat");
        StringBuilder classpath = new StringBuilder(testClasses.toString());
        try (Stream<Path> files = Files.list(jars)) {
            files.filter(p -> p.toString().endsWith(".jar")).sorted()
                    .forEach(jar -> classpath.append(File.pathSeparator).append(jar));
        }
        return classpath.toString();
    }

    @Test
    void kafkaClients39WorksAgainstStrata() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            List<String> lines = run(compatClasspath(), broker.bootstrapServers());
            assertThat(lines).contains("CLIENT 3.9.2", "PASS topics", "PASS produce-consume", "PASS groups",
                    "PASS times", "PASS too-large", "PASS configs", "ALL PASSED");
        }
    }

    @Test
    void kafkaClients43RunsTheSameScenarios() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of())) {
            List<String> lines = run(System.getProperty("java.class.path"), broker.bootstrapServers());
            assertThat(lines).contains("CLIENT 4.3.1", "ALL PASSED");
        }
    }
}
