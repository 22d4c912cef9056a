package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Starts Strata with the shell command of {@link BenchSettings#strataCommand()}, run by {@code /bin/sh -c} from the
 * repository root, with {@code {port}} replaced by a free loopback port and {@code {logDir}} by an empty directory in
 * a scratch directory. The CPU figures count the shell and everything it started, so the command may fork the JVM
 * as well as exec it. Thread-safe (stateless).
 */
final class StrataLauncher {

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private StrataLauncher() {
    }

    static BrokerUnderTest start(String commandTemplate, Path logDir, ProcessCpu cpu, Cleanup cleanup) {
        ScratchDir scratch = ScratchDir.create("strata-bench-strata-", cleanup);
        Path dataDir = scratch.path().resolve("data");
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dataDir, e);
        }
        int port = FreePorts.pick(1).get(0);
        String command = command(commandTemplate, port, dataDir);
        System.out.println("strata: " + command);
        ChildProcess process = ChildProcess.start(BenchSettings.STRATA, List.of("/bin/sh", "-c", command),
                Path.of("").toAbsolutePath(), Map.of(), logDir.resolve("strata"), STOP_GRACE, cleanup);
        return cleanup.register(new BrokerUnderTest(BenchSettings.STRATA, "127.0.0.1:" + port, process, scratch, cpu));
    }

    static String command(String template, int port, Path dataDir) {
        if (!template.contains("{port}")) {
            throw new IllegalArgumentException("the Strata command must contain {port}, the listener port the"
                    + " harness picked: " + template);
        }
        return template.replace("{port}", Integer.toString(port)).replace("{logDir}", dataDir.toString());
    }
}
