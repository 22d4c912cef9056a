package io.strata.jms.ra;

import io.strata.jms.client.StrataConnectionFactory;

/**
 * Runs a call into the provider with the resource adapter's class loader as the thread's context class loader.
 * kafka-clients load the classes their configs name (login modules, JWT retrievers, serializers) through the context
 * class loader, and the provider's threads (a connection's health check, a session's delivery thread, a share
 * consumer's network thread) inherit it from the thread that makes them: a container thread whose loader cannot see
 * the RAR's libraries (Payara's admin threads, which ping a pool) would leave them unable to. Stateless.
 */
final class ProviderClassLoader {

    private ProviderClassLoader() {
    }

    /** A call that may throw what its caller throws. */
    interface Call<T, E extends Exception> {
        T call() throws E;
    }

    static <T, E extends Exception> T call(Call<T, E> call) throws E {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(StrataConnectionFactory.class.getClassLoader());
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
