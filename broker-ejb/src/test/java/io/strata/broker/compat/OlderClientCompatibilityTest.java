package io.strata.broker.compat;

import io.strata.broker.it.ChaosProxy;
import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@link ClientScenarios} in its own JVM with kafka-clients 3.9 on the classpath against a Strata broker, and
 * again with kafka-clients 4.3, so that both client lines are known to work. Clients reach the broker through a
 * {@link ChaosProxy}, which loses Produce answers when the scenarios ask, and the test restarts the broker when they
 * ask.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class OlderClientCompatibilityTest {

    private static final List<String> SCENARIOS = List.of("topics", "produce-consume", "codecs", "groups",
            "two-groups", "idle-members", "handover", "killed-member", "restart", "idempotence", "times", "too-large",
            "configs", "retention", "compaction", "transactions");

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Runs the scenarios with the given classpath, doing what they ask for; returns what they printed. */
    private List<String> run(String classpath) throws Exception {
        int brokerPort = freePort();
        try (ChaosProxy proxy = new ChaosProxy(brokerPort);
             TestBroker broker = TestBroker.start(dir, Map.of(
                     "listeners", "PLAINTEXT://127.0.0.1:" + brokerPort,
                     "advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxy.port(),
                     "group.min.session.timeout.ms", 1000,
                     "log.retention.check.interval.ms", 200L,
                     "log.cleaner.backoff.ms", 100L,
                     "log.segment.delete.delay.ms", 0L))) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(java, "-Xmx256m", "-cp", classpath, ClientScenarios.class.getName(),
                    "127.0.0.1:" + proxy.port()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Thread watchdog = new Thread(() -> {
                try {
                    if (!process.waitFor(300, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                }
            }, "scenario-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
                 Writer input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
                String line;
                while ((line = output.readLine()) != null) {
                    lines.add(line);
                    // Timestamped in the test's report, so that where the time goes can be read there.
                    System.err.println(LocalTime.now() + " scenarios: " + line);
                    if (line.equals("ASK restart")) {
                        broker.restart();
                    } else if (line.startsWith("ASK lose-produce-responses ")) {
                        proxy.loseProduceResponses(Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1)));
                    } else if (line.startsWith("ASK ")) {
                        throw new AssertionError("the scenarios asked for something unknown: " + line);
                    } else {
                        continue;
                    }
                    input.write("OK\n");
                    input.flush();
                }
            } finally {
                process.destroyForcibly();
            }
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("scenarios said: %s", lines).isZero();
            assertThat(proxy.lostProduceResponses()).as("Produce answers lost for the idempotence scenario")
                    .isPositive();
            return lines;
        }
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
        List<String> lines = run(compatClasspath());
        assertThat(lines).contains("CLIENT 3.9.2", "ALL PASSED");
        assertThat(lines).containsAll(SCENARIOS.stream().map(s -> "PASS " + s).toList());
    }

    @Test
    void kafkaClients43RunsTheSameScenarios() throws Exception {
        List<String> lines = run(System.getProperty("java.class.path"));
        assertThat(lines).contains("CLIENT 4.3.1", "ALL PASSED");
        assertThat(lines).containsAll(SCENARIOS.stream().map(s -> "PASS " + s).toList());
    }
}
