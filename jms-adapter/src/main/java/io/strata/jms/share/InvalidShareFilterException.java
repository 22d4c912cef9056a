package io.strata.jms.share;

import org.apache.kafka.common.protocol.Errors;

/**
 * The partition leader refused the member's message selector (INVALID_REQUEST when the share session opened): it does
 * not parse, or is not a selector Strata takes. The message carries the broker's complaint. The JMS layer maps this to
 * {@code jakarta.jms.InvalidSelectorException}.
 */
public class InvalidShareFilterException extends ShareGroupException {

    private static final long serialVersionUID = 1L;

    private final String selector;

    public InvalidShareFilterException(String selector, String message) {
        super(Errors.INVALID_REQUEST, message);
        this.selector = selector;
    }

    /** The selector that was refused. */
    public String selector() {
        return selector;
    }
}
