package io.strata.jms.share;

import org.apache.kafka.common.protocol.Errors;

/**
 * The broker does not advertise a Strata extension this engine would need (a message selector needs
 * {@code strata.share.filter}; an acknowledgement inside a transaction needs
 * {@code strata.share.transactional.acknowledge}): it is a plain Kafka broker, or a Strata broker without it. Nothing
 * was sent with the extension.
 */
public class UnsupportedExtensionException extends ShareGroupException {

    private static final long serialVersionUID = 1L;

    private final String feature;

    public UnsupportedExtensionException(String feature, String message) {
        super(Errors.UNSUPPORTED_VERSION, message);
        this.feature = feature;
    }

    /** The feature the broker did not advertise. */
    public String feature() {
        return feature;
    }
}
