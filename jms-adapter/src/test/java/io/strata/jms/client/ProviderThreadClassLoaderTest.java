package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.Session;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider's own threads (the connection's health check, a share consumer's network thread) run with the
 * provider's class loader as context, whatever the creating thread's was: an application server's thread whose loader
 * cannot see kafka-clients must not leave them unable to load its classes.
 */
class ProviderThreadClassLoaderTest extends OneBrokerTest {

    @Test
    void threadsTheProviderStartsHaveItsClassLoaderNotTheCreatorsAsContext() throws Exception {
        Thread caller = Thread.currentThread();
        ClassLoader original = caller.getContextClassLoader();
        // another loader than the provider's (one that sees it: kafka-clients loads config classes in the caller)
        try (URLClassLoader applications = new URLClassLoader(new URL[0], original)) {
            caller.setContextClassLoader(applications);
            try (Connection connection = factory.createConnection()) {
                connection.setExceptionListener(exception -> { });
                Session session = connection.createSession();
                session.createConsumer(session.createQueue("class-loader-pinned"));

                List<Thread> providerThreads = providerThreads();
                assertThat(providerThreads).extracting(Thread::getName)
                        .anyMatch(name -> name.startsWith("strata-jms-health-"))
                        .anyMatch(name -> name.startsWith("strata-share-class-loader-pinned"));
                assertThat(providerThreads).allSatisfy(thread -> assertThat(thread.getContextClassLoader())
                        .as(thread.getName()).isSameAs(StrataConnectionFactory.class.getClassLoader()));
            } finally {
                caller.setContextClassLoader(original);
            }
        }
    }

    private static List<Thread> providerThreads() {
        Set<Thread> threads = Thread.getAllStackTraces().keySet();
        return threads.stream().filter(Thread::isAlive)
                .filter(thread -> thread.getName().startsWith("strata-jms-health-")
                        || thread.getName().startsWith("strata-share-class-loader-pinned"))
                .toList();
    }
}
