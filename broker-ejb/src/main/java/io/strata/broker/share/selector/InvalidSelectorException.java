package io.strata.broker.share.selector;

/**
 * A message selector that is not a JMS 3.1 selector (or is longer than {@link MessageSelector#MAX_LENGTH}); the
 * message says why, for the client (which raises JMS's InvalidSelectorException with it).
 */
public final class InvalidSelectorException extends Exception {

    public InvalidSelectorException(String message) {
        super(message);
    }
}
