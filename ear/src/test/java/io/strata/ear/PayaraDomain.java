package io.strata.ear;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Payara Server domain of its own for one test run, driven by {@code asadmin}: a fresh copy of the distribution's
 * {@code domain1}, moved onto free ports so that it runs beside whatever else holds 8080, 4848 and the rest on this
 * machine, with the JVM options the test gives. Ports and JVM options go into {@code domain.xml} before the start,
 * because {@code asadmin create-jvm-options} needs a running server and a restart: this way the domain starts once.
 *
 * <p>Files it owns under the work directory, replaced on each {@link #create}: {@code domains/domain1/} (the domain;
 * its log is {@code logs/server.log}) and {@code asadmin-<command>.log}, the output of each run of that command. The
 * distribution itself is never written to.
 *
 * <p>Not thread-safe: one test thread drives it. A shutdown hook stops the domain if the JVM ends while it runs.
 */
final class PayaraDomain implements AutoCloseable {

    private static final String DOMAIN = "domain1";
    private static final String SERVER_CONFIG = "/domain/configs/config[@name='server-config']";
    private static final String OSGI_SHELL_PORT = "-Dosgi.shell.telnet.port=";
    private static final Duration STOP_MAX = Duration.ofMinutes(2);
    /** How much of a failed command's output goes into the exception message. */
    private static final int OUTPUT_TAIL_CHARS = 4_000;

    private final Path payaraHome;
    private final Path workDir;
    private final Path domainsDir;
    private final int adminPort;
    private final int httpPort;
    private final Thread stopOnExit = new Thread(this::stopIfStarted, "stop-payara-domain");
    private boolean started;

    private PayaraDomain(Path payaraHome, Path workDir, int adminPort, int httpPort) {
        this.payaraHome = payaraHome;
        this.workDir = workDir;
        this.domainsDir = workDir.resolve("domains");
        this.adminPort = adminPort;
        this.httpPort = httpPort;
    }

    /** The port of the domain's HTTP listener (http-listener-1), where /health and /metrics answer. */
    int httpPort() {
        return httpPort;
    }

    /**
     * Copies {@code domain1} of the Payara Server in {@code payaraHome} (the {@code payara6} folder) to
     * {@code workDir}, replacing the copy a previous run left (stopping it first if it still runs), and gives it free
     * ports and {@code jvmOptions}.
     */
    static PayaraDomain create(Path payaraHome, Path workDir, List<String> jvmOptions) throws IOException {
        Path template = payaraHome.resolve("glassfish/domains").resolve(DOMAIN);
        if (!Files.isRegularFile(template.resolve("config/domain.xml"))) {
            throw new IllegalArgumentException("No Payara Server domain at " + template
                    + ": unpack fish.payara.distributions:payara (mvn pre-integration-test does)");
        }
        Files.createDirectories(workDir);
        int[] ports = freePorts(11);
        PayaraDomain domain = new PayaraDomain(payaraHome, workDir, ports[0], ports[1]);
        domain.removeLeftover();
        copyTree(template, domain.domainDir());
        domain.configure(Map.ofEntries(
                Map.entry(listener("admin-listener"), Integer.toString(ports[0])),
                Map.entry(listener("http-listener-1"), Integer.toString(ports[1])),
                Map.entry(listener("http-listener-2"), Integer.toString(ports[2])),
                Map.entry(SERVER_CONFIG + "/iiop-service/iiop-listener[@id='orb-listener-1']/@port",
                        Integer.toString(ports[3])),
                Map.entry(SERVER_CONFIG + "/iiop-service/iiop-listener[@id='SSL']/@port", Integer.toString(ports[4])),
                Map.entry(SERVER_CONFIG + "/iiop-service/iiop-listener[@id='SSL_MUTUALAUTH']/@port",
                        Integer.toString(ports[5])),
                Map.entry(SERVER_CONFIG + "/admin-service/jmx-connector[@name='system']/@port",
                        Integer.toString(ports[6])),
                Map.entry(SERVER_CONFIG + "/system-property[@name='JMS_PROVIDER_PORT']/@value",
                        Integer.toString(ports[7])),
                Map.entry("/domain/hazelcast-runtime-configuration/@das-port", Integer.toString(ports[8])),
                Map.entry("/domain/hazelcast-runtime-configuration/@start-port", Integer.toString(ports[9])),
                // The remote OSGi shell's port is a JVM option; replaced, since a second -D of it may or may not win.
                Map.entry(SERVER_CONFIG + "/java-config/jvm-options[starts-with(., '" + OSGI_SHELL_PORT + "')]/text()",
                        OSGI_SHELL_PORT + ports[10])),
                jvmOptions);
        return domain;
    }

    private static String listener(String name) {
        return SERVER_CONFIG + "/network-config/network-listeners/network-listener[@name='" + name + "']/@port";
    }

    Path serverLog() {
        return domainDir().resolve("logs/server.log");
    }

    /** Starts the domain and returns once it accepts commands. */
    void start(Duration limit) {
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        started = true;
        local(limit, "start-domain", "--domaindir", domainsDir.toString(), DOMAIN);
    }

    /** Deploys {@code archive} as application {@code name}; returns once the application has started. */
    void deploy(Path archive, String name, Duration limit) {
        remote(limit, "deploy", "--name", name, archive.toString());
    }

    void undeploy(String name, Duration limit) {
        remote(limit, "undeploy", name);
    }

    /** Stops the domain if it was started; asks for a clean stop first, then kills it. Idempotent. */
    @Override
    public void close() {
        if (!started) {
            return;
        }
        stopIfStarted();
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or has run: nothing left to remove.
        }
    }

    private synchronized void stopIfStarted() {
        if (!started) {
            return;
        }
        started = false;
        try {
            local(STOP_MAX, "stop-domain", "--domaindir", domainsDir.toString(), DOMAIN);
        } catch (RuntimeException cleanStopFailed) {
            local(STOP_MAX, "stop-domain", "--kill=true", "--domaindir", domainsDir.toString(), DOMAIN);
        }
    }

    private Path domainDir() {
        return domainsDir.resolve(DOMAIN);
    }

    /**
     * Removes what a previous run left. A domain that a killed run left running holds ports and memory: stop it
     * first. Best effort: its pid file may be stale, and this run's ports are new anyway.
     */
    private void removeLeftover() throws IOException {
        if (Files.exists(domainDir().resolve("config/pid"))) {
            try {
                local(STOP_MAX, "stop-domain", "--kill=true", "--domaindir", domainsDir.toString(), DOMAIN);
            } catch (RuntimeException notRunning) {
                // Nothing runs there any more; the copy is replaced below.
            }
        }
        deleteTree(domainsDir);
        try (Stream<Path> logs = Files.list(workDir)) {
            for (Path log : (Iterable<Path>) logs.filter(PayaraDomain::isAsadminLog)::iterator) {
                Files.delete(log);
            }
        }
    }

    private static boolean isAsadminLog(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("asadmin-") && name.endsWith(".log");
    }

    /**
     * Sets the one attribute or text node each XPath selects to its value, and appends the JVM options to the
     * server's java-config.
     */
    private void configure(Map<String, String> values, List<String> jvmOptions) throws IOException {
        Path domainXml = domainDir().resolve("config/domain.xml");
        try {
            Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(domainXml.toFile());
            for (Map.Entry<String, String> value : values.entrySet()) {
                single(document, value.getKey()).setNodeValue(value.getValue());
            }
            Element javaConfig = (Element) single(document, SERVER_CONFIG + "/java-config");
            for (String option : jvmOptions) {
                Element element = document.createElement("jvm-options");
                element.setTextContent(option);
                javaConfig.appendChild(element);
            }
            TransformerFactory.newInstance().newTransformer()
                    .transform(new DOMSource(document), new StreamResult(domainXml.toFile()));
        } catch (ParserConfigurationException | SAXException | TransformerException | XPathExpressionException e) {
            throw new IllegalStateException("Cannot configure " + domainXml + ": " + e.getMessage(), e);
        }
    }

    /** The one node {@code xpath} selects; Payara's domain.xml changing shape is an error here, not a silent skip. */
    private static Node single(Document document, String xpath) throws XPathExpressionException {
        NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath()
                .evaluate(xpath, document, XPathConstants.NODESET);
        if (nodes.getLength() != 1) {
            throw new IllegalStateException("Expected one node at " + xpath + " in domain.xml, found "
                    + nodes.getLength());
        }
        return nodes.item(0);
    }

    /**
     * A command on the domain's files ({@code start-domain}, {@code stop-domain}): it finds the admin port in
     * domain.xml, and an explicit {@code --port} would point it elsewhere.
     */
    private void local(Duration limit, String command, String... arguments) {
        asadmin(limit, List.of(), command, arguments);
    }

    /** A command the running server executes, sent to its admin port. */
    private void remote(Duration limit, String command, String... arguments) {
        asadmin(limit, List.of("--host", "localhost", "--port", Integer.toString(adminPort)), command, arguments);
    }

    /**
     * Runs {@code asadmin <options> <command> <arguments...>} with this JVM's Java, its output appended to
     * {@code asadmin-<command>.log}. Fails with the output's tail if it exits non-zero or outlasts {@code limit}.
     */
    private void asadmin(Duration limit, List<String> options, String command, String... arguments) {
        List<String> line = new ArrayList<>(List.of("/bin/sh", payaraHome.resolve("bin/asadmin").toString(),
                "--interactive=false"));
        line.addAll(options);
        line.add(command);
        line.addAll(List.of(arguments));
        Path output = workDir.resolve("asadmin-" + command + ".log");
        ProcessBuilder builder = new ProcessBuilder(line)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        builder.environment().put("AS_JAVA", System.getProperty("java.home"));
        try {
            long outputStart = Files.exists(output) ? Files.size(output) : 0;
            Files.writeString(output, "$ " + String.join(" ", line) + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = builder.start();
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("asadmin " + command + " did not finish within " + limit + ":\n"
                        + tail(output, outputStart) + "\n(server log: " + serverLog() + ")");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("asadmin " + command + " failed with exit code "
                        + process.exitValue() + ":\n" + tail(output, outputStart) + "\n(server log: " + serverLog()
                        + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run asadmin " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while asadmin " + command + " ran", e);
        }
    }

    /** The end of what was written to {@code output} from byte {@code start} on. */
    private static String tail(Path output, long start) throws IOException {
        byte[] bytes = Files.readAllBytes(output);
        String text = new String(bytes, (int) start, bytes.length - (int) start, StandardCharsets.UTF_8);
        return text.length() <= OUTPUT_TAIL_CHARS ? text : "..." + text.substring(text.length() - OUTPUT_TAIL_CHARS);
    }

    /**
     * {@code count} distinct ports that are free now, all held open together while chosen so that none repeats.
     * Another process may take one before the server binds it; the start then fails and says which.
     */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }
}
