package io.strata.broker.server;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

/**
 * {@code strata-server}: starts a broker without an application server, for tests, benchmarks and embedding. Settings
 * come from a properties file ({@code --config}) and {@code --override key=value} flags, under Kafka's names
 * ({@code log.dirs}, {@code listeners}, {@code advertised.listeners}, {@code node.id}, ...). Runs until stopped with
 * Ctrl-C or SIGTERM, then shuts down cleanly.
 */
@Command(name = "strata-server", mixinStandardHelpOptions = true, version = "Strata 0.1.0",
        description = "Starts a Strata broker that speaks the Kafka protocol.")
public final class StrataServer implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file of broker settings.")
    Path configFile;

    @Option(names = "--override", paramLabel = "KEY=VALUE", description = "A setting, overriding the file; repeatable.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        Map<String, Object> settings = new LinkedHashMap<>();
        if (configFile != null) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (NoSuchFileException e) {
                System.err.println("strata-server: no config file " + configFile);
                return 2;
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("strata-server: cannot read config file " + configFile + ": " + e.getMessage());
                return 2;
            }
            properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name).trim()));
        }
        for (String override : overrides) {
            int equals = override.indexOf('=');
            if (equals <= 0) {
                System.err.println("strata-server: --override needs KEY=VALUE, not '" + override + "'");
                return 2;
            }
            settings.put(override.substring(0, equals).trim(), override.substring(equals + 1).trim());
        }
        Set<String> unknown = BrokerConfig.unknownNames(settings);
        if (!unknown.isEmpty()) {
            System.err.println("strata-server: ignoring unknown settings " + unknown);
        }
        BrokerConfig config;
        try {
            config = BrokerConfig.of(settings);
        } catch (ConfigException e) {
            System.err.println("strata-server: " + e.getMessage());
            return 2;
        }
        BrokerServer server = new BrokerServer(config, Executors.defaultThreadFactory(), Clock.systemUTC());
        try {
            server.start();
        } catch (RuntimeException e) {
            System.err.println("strata-server: could not start: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "strata-shutdown"));
        System.out.println("Strata is ready: bootstrap.servers=" + server.bootstrapServers() + ", data in "
                + config.logDirs);
        server.awaitStopped();
        if (server.stoppedBecause() != null) {
            System.err.println("strata-server: stopped: " + server.stoppedBecause());
            return 1;
        }
        return 0;
    }

    public static void main(String[] args) {
        int exit = new CommandLine(new StrataServer()).execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }
}
