package io.strata.bench.kafka;

import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.io.aio.AIOSequentialFileFactory;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.utils.VersionLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The Apache Artemis broker bin/bench-jms measures Strata against, in a JVM of its own so that its CPU is read from
 * its own process as Strata's is: an embedded server with Artemis's defaults (persistence on, journal syncs for
 * persistent and transactional writes, addresses and queues created on first use), security off, one CORE acceptor
 * on 127.0.0.1 and its journal, bindings, paging and large-message directories under the data directory it is given.
 * The journal is ASYNCIO (libaio) where Artemis finds libaio and the directory takes direct I/O, else NIO, as
 * Artemis itself would fall back. Once it accepts connections it prints {@value #READY} and what it runs with on
 * one line; it stops on SIGTERM. Started by {@link ArtemisLauncher}.
 *
 * <pre>java -cp strata-bench.jar io.strata.bench.kafka.ArtemisBenchServer PORT DATA_DIR [JOURNAL_BUFFER_TIMEOUT_NS]</pre>
 */
public final class ArtemisBenchServer {

    static final String READY = "artemis-bench-server ready:";

    private ArtemisBenchServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: ArtemisBenchServer PORT DATA_DIR [JOURNAL_BUFFER_TIMEOUT_NS]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path data = Path.of(args[1]).toAbsolutePath();
        Path journal = Files.createDirectories(data.resolve("journal"));
        JournalType journalType = AIOSequentialFileFactory.isSupported(journal.toFile()) ? JournalType.ASYNCIO
                : JournalType.NIO;
        Configuration config = new ConfigurationImpl()
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(false)
                .setJournalType(journalType)
                .setJournalDirectory(journal.toString())
                .setBindingsDirectory(data.resolve("bindings").toString())
                .setPagingDirectory(data.resolve("paging").toString())
                .setLargeMessagesDirectory(data.resolve("large-messages").toString())
                .addAcceptorConfiguration("core", "tcp://127.0.0.1:" + port + "?protocols=CORE");
        if (args.length == 3) {
            int timeoutNanos = Integer.parseInt(args[2]);
            config.setJournalBufferTimeout_AIO(timeoutNanos).setJournalBufferTimeout_NIO(timeoutNanos);
        }
        EmbeddedActiveMQ server = new EmbeddedActiveMQ().setConfiguration(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (Exception e) {
                System.err.println("artemis-bench-server: stop failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "artemis-bench-server-stop"));
        server.start();
        int bufferTimeoutNanos = journalType == JournalType.ASYNCIO ? config.getJournalBufferTimeout_AIO()
                : config.getJournalBufferTimeout_NIO();
        System.out.println(READY + " Apache Artemis " + VersionLoader.getVersion().getFullVersion()
                + ", embedded, journal " + journalType + " (journal-buffer-timeout " + bufferTimeoutNanos
                + " ns, journal-sync-non-transactional " + config.isJournalSyncNonTransactional()
                + ", journal-sync-transactional " + config.isJournalSyncTransactional() + ", journal-datasync "
                + config.isJournalDatasync() + "), on tcp://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }
}
