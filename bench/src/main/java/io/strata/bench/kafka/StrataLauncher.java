package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Starts Strata, standalone ("strata") or on Payara Micro ("strata-micro"), with the shell command
 * {@link BenchSettings#commandOf} gives for it, run by {@code /bin/sh -c} from the repository root, with
 * {@code {port}} replaced by a free loopback port, {@code {httpPort}} by another (Payara Micro's HTTP port, which
 * would otherwise be 8080 and may be taken) and {@code {logDir}} by an empty directory in a scratch directory. The CPU
 * figures count the shell and everything it started, so the command may fork the JVM as well as exec it. Thread-safe
 * (stateless).
 */
final class StrataLauncher {

    /** Payara Micro undeploys the application and shuts the container down on SIGTERM; both fit well inside this. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private StrataLauncher() {
    }

    static BrokerUnderTest start(String name, String commandTemplate, Path logDir, ProcessCpu cpu, Cleanup cleanup) {
        requirePlaceholders(name, commandTemplate);
        ScratchDir scratch = ScratchDir.create("strata-bench-" + name + "-", cleanup);
        Path dataDir = scratch.path().resolve("data");
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDir, e);
        }
        List<Integer> ports = FreePorts.pick(2);
        int port = ports.get(0);
        String command = command(commandTemplate, port, ports.get(1), dataDir);
        System.out.println(name + ": " + command);
        ChildProcess process = ChildProcess.start(name, List.of("/bin/sh", "-c", command),
                Path.of("").toAbsolutePath(), Map.of(), logDir.resolve(name), STOP_GRACE, cleanup);
        return cleanup.register(new BrokerUnderTest(name, "127.0.0.1:" + port, process, scratch, cpu));
    }

    /**
     * Fails unless {@code template} holds the placeholders {@code broker} cannot run without: {@code {port}} for
     * both, and {@code {httpPort}} for "strata-micro".
     */
    static void requirePlaceholders(String broker, String template) {
        if (!template.contains("{port}")) {
            throw new IllegalArgumentException("the " + broker + " command must contain {port}, the listener port the"
                    + " harness picked: " + template);
        }
        if (broker.equals(BenchSettings.STRATA_MICRO) && !template.contains("{httpPort}")) {
            throw new IllegalArgumentException("the " + broker + " command must contain {httpPort}, for Payara"
                    + " Micro's --port; without it Payara Micro takes 8080, which may be in use: " + template);
        }
    }

    static String command(String template, int port, int httpPort, Path dataDir) {
        return template.replace("{port}", Integer.toString(port)).replace("{httpPort}", Integer.toString(httpPort))
                .replace("{logDir}", dataDir.toString());
    }
}
