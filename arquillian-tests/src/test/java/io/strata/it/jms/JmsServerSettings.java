package io.strata.it.jms;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Before Arquillian reads arquillian.xml: picks the port of the broker that the JMS tests' Payara Micro runs, and writes
 * the post-boot commands that deploy Strata's resource adapter there, configured for that broker (as bin/strata-micro
 * does). The resource adapter must know the broker's address before the server starts, so the port cannot be the OS's
 * choice at bind time as in the other in-container tests. Sets {@code strata.it.jms.port} and
 * {@code strata.it.jms.postboot}, which arquillian.xml's container {@code payara-micro-jms} reads. Runs once per test
 * JVM; not thread-safe (JUnit calls it once, before any test).
 */
public class JmsServerSettings implements LauncherSessionListener {

    static final String ADAPTER = "strata-jms";
    static final String FACTORY = "jms/StrataConnectionFactory";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (System.getProperty("strata.it.jms.port") != null) {
            return;
        }
        int port = freePort();
        Path rar = Path.of(System.getProperty("strata.it.rar", "target/strata-jms.rar")).toAbsolutePath();
        Path postboot = rar.resolveSibling("jms-postboot.asadmin");
        try {
            Files.write(postboot, List.of(
                    "create-resource-adapter-config --property bootstrapServers=127.0.0.1\\:" + port + " " + ADAPTER,
                    "deploy --name " + ADAPTER + " " + rar,
                    "create-connector-connection-pool --raname " + ADAPTER
                            + " --connectiondefinition jakarta.jms.ConnectionFactory --transactionsupport XATransaction"
                            + " --steadypoolsize 0 --maxpoolsize 32 jms/StrataConnectionFactoryPool",
                    "create-connector-resource --poolname jms/StrataConnectionFactoryPool " + FACTORY));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + postboot, e);
        }
        System.setProperty("strata.it.jms.port", String.valueOf(port));
        System.setProperty("strata.it.jms.postboot", postboot.toString());
    }

    static String bootstrap() {
        return "127.0.0.1:" + System.getProperty("strata.it.jms.port");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the JMS tests' broker", e);
        }
    }
}
