package io.strata.ear;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What strata.ear holds, read from the packaged file: the broker once, as the EJB module; its libraries in lib/,
 * shared by both modules; a skinny web-admin WAR. The web-admin WAR on its own carries the broker and libraries (for
 * Payara Micro, which deploys no EAR), so a second broker in the EAR is one plugin setting away, and would start twice.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StrataEarLayoutIT {

    private static final String BROKER_SERVICE_CLASS = "io/strata/broker/ejb/BrokerService.class";
    private static final String EJB_MODULE = "strata-broker-ejb.jar";
    private static final String WEB_MODULE = "strata-web-admin.war";

    /** Every entry of the EAR, and of each archive in it, as {@code archive!/entry}. */
    private static List<String> entries;
    private static String applicationXml;

    @BeforeAll
    static void readTheEar() throws IOException {
        Path ear = Path.of(System.getProperty("strata.it.ear", "target/strata.ear"));
        entries = new ArrayList<>();
        try (ZipFile zip = new ZipFile(ear.toFile())) {
            for (ZipEntry entry : zip.stream().toList()) {
                entries.add(entry.getName());
                if (entry.getName().endsWith(".jar") || entry.getName().endsWith(".war")) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        addNested(entry.getName(), in.readAllBytes());
                    }
                }
            }
            applicationXml = new String(zip.getInputStream(zip.getEntry("META-INF/application.xml")).readAllBytes(),
                    StandardCharsets.UTF_8);
        }
    }

    private static void addNested(String archive, byte[] bytes) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                entries.add(archive + "!/" + entry.getName());
                if (entry.getName().endsWith(".jar")) {
                    addNested(archive + "!/" + entry.getName(), in.readAllBytes());
                }
            }
        }
    }

    @Test
    void theBrokerIsInTheEarOnceAsItsEjbModule() {
        assertThat(entries).filteredOn(name -> name.endsWith(BROKER_SERVICE_CLASS))
                .containsExactly(EJB_MODULE + "!/" + BROKER_SERVICE_CLASS);
        assertThat(applicationXml).contains("<ejb>" + EJB_MODULE + "</ejb>")
                .contains("<web-uri>" + WEB_MODULE + "</web-uri>")
                .contains("<library-directory>lib</library-directory>");
    }

    @Test
    void theWebModuleIsSkinny() {
        assertThat(entries).filteredOn(name -> name.startsWith(WEB_MODULE + "!/WEB-INF/lib/")
                && name.endsWith(".jar")).isEmpty();
    }

    @Test
    void theBrokersLibrariesAreInLibAndTheCommandLineIsNot() {
        List<String> lib = entries.stream().filter(name -> name.startsWith("lib/") && name.endsWith(".jar")).toList();
        assertThat(lib).anyMatch(name -> name.contains("strata-storage-"))
                .anyMatch(name -> name.contains("kafka-clients-"))
                .anyMatch(name -> name.contains("zstd-jni-"))
                .anyMatch(name -> name.contains("lz4-java-"))
                .anyMatch(name -> name.contains("snappy-java-"))
                .anyMatch(name -> name.contains("slf4j-api-"))
                .anyMatch(name -> name.contains("slf4j-jdk14-"))
                .noneMatch(name -> name.contains("picocli"))
                .noneMatch(name -> name.contains("strata-broker-ejb"));
    }
}
