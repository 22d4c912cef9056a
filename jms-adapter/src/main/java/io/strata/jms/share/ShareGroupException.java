package io.strata.jms.share;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.protocol.Errors;

/**
 * The engine cannot go on, or a request of the caller cannot be done, for a reason a broker gave
 * ({@link #error()}, Kafka's error code) or that the engine found; the message says what and what to do. Once the
 * engine itself has failed (a classic group named as a share group, a topic that does not exist, the group refused
 * the member), every later call throws the same exception: close the engine.
 */
public class ShareGroupException extends KafkaException {

    private static final long serialVersionUID = 1L;

    private final transient Errors error;

    public ShareGroupException(Errors error, String message) {
        super(message);
        this.error = error;
    }

    public ShareGroupException(Errors error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    /** Kafka's error the failure came with; {@link Errors#UNKNOWN_SERVER_ERROR} when the broker gave none. */
    public Errors error() {
        return error;
    }
}
