package io.strata.cli;

import io.strata.broker.it.TestBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Gives test classes one real Strata broker, started in this JVM on first use and stopped when the whole run ends,
 * so the suite pays for one start instead of one per class. Tests keep apart by using their own topic and group
 * names. Inject it as a constructor or method parameter of type {@link TestBroker}.
 *
 * <p>Thread-safe: JUnit's root store starts the broker once.
 */
public final class SharedBroker implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedBroker.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Running.class, key -> Running.start(), Running.class).broker();
    }

    /** The broker and its data directory; closing stops the one and deletes the other. */
    private record Running(TestBroker broker, Path dataDir) implements AutoCloseable {

        static Running start() {
            try {
                Path dataDir = Files.createTempDirectory("strata-cli-test");
                return new Running(TestBroker.start(dataDir, Map.of()), dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            broker.close();
            try (Stream<Path> paths = Files.walk(dataDir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
