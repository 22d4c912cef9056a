package io.strata.broker.ejb;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/configuration.md lists exactly the settings the broker knows, with the defaults it applies. */
class ConfigurationDocsTest {

    private static final Path DOCS = Path.of("..", "docs", "configuration.md");

    @Test
    void theDocumentedSettingsAreTheBrokersOwn() throws Exception {
        String generated = ConfigurationDocs.markdown();
        if (Boolean.getBoolean("strata.docs.write")) {
            Files.createDirectories(DOCS.getParent());
            Files.writeString(DOCS, generated, StandardCharsets.UTF_8);
        }
        assertThat(DOCS).as("docs/configuration.md; regenerate it as its header says").exists();
        assertThat(Files.readString(DOCS, StandardCharsets.UTF_8))
                .as("docs/configuration.md is out of date; regenerate it as its header says").isEqualTo(generated);
        for (String name : BrokerSettings.names()) {
            assertThat(generated).contains("`strata." + name + "`");
        }
        assertThat(generated).contains("| `strata.listeners` | `STRATA_LISTENERS` | `PLAINTEXT://0.0.0.0:9092` |")
                .contains("| `strata.log.dirs` | `STRATA_LOG_DIRS` | `data/strata` |");
    }
}
