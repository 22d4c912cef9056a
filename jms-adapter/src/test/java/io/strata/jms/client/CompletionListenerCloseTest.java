package io.strata.jms.client;

import jakarta.jms.CompletionListener;
import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.MessageProducer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JMS 3.1 section 7.3.8: a completion listener must not close its own connection, session, producer or JMSContext;
 * the provider throws IllegalStateException (IllegalStateRuntimeException for a JMSContext) instead of waiting for the
 * listener to return, which would never happen. The objects stay usable afterwards.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CompletionListenerCloseTest extends OneBrokerTest {

    /** Runs {@code action} in the completion listener of one asynchronous send and returns what it threw. */
    private static Throwable thrownInCompletionListener(MessageProducer producer, Session session, Callback action)
            throws Exception {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        producer.send(session.createTextMessage("async"), new CompletionListener() {
            @Override
            public void onCompletion(Message message) {
                try {
                    action.run();
                    thrown.complete(null);
                } catch (Throwable e) {
                    thrown.complete(e);
                }
            }

            @Override
            public void onException(Message message, Exception exception) {
                thrown.completeExceptionally(exception);
            }
        });
        return thrown.get(30, TimeUnit.SECONDS);
    }

    interface Callback {
        void run() throws Exception;
    }

    @Test
    void aCompletionListenerCannotCloseItsOwnConnectionSessionOrProducer() throws Exception {
        try (Connection connection = factory.createConnection()) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("completion-close");
            MessageProducer producer = session.createProducer(queue);

            assertThat(thrownInCompletionListener(producer, session, connection::close))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("own connection");
            assertThat(thrownInCompletionListener(producer, session, session::close))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("own session");
            assertThat(thrownInCompletionListener(producer, session, producer::close))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("own producer");

            producer.send(session.createTextMessage("still open"));
            session.close();
        }
    }

    @Test
    void aCompletionListenerCannotCloseItsOwnContext() throws Exception {
        try (JMSContext context = factory.createContext()) {
            Queue queue = context.createQueue("completion-close-context");
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            context.createProducer().setAsync(new CompletionListener() {
                @Override
                public void onCompletion(Message message) {
                    try {
                        context.close();
                        thrown.complete(null);
                    } catch (Throwable e) {
                        thrown.complete(e);
                    }
                }

                @Override
                public void onException(Message message, Exception exception) {
                    thrown.completeExceptionally(exception);
                }
            }).send(queue, "async");

            assertThat(thrown.get(30, TimeUnit.SECONDS)).isInstanceOf(IllegalStateRuntimeException.class)
                    .hasMessageContaining("own JMSContext");
            context.createProducer().send(queue, "still open");
        }
    }
}
