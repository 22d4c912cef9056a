package io.strata.cli;

import org.apache.kafka.common.utils.AppInfoParser;
import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * {@code strata --version}: the project version Maven wrote into {@code version.properties} at build time, and the
 * kafka-clients version the command speaks the protocol with.
 *
 * <p>Stateless; thread-safe.
 */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        }
        return new String[] {
                "strata " + properties.getProperty("version", "(unknown version)"),
                "kafka-clients " + AppInfoParser.getVersion()};
    }
}
