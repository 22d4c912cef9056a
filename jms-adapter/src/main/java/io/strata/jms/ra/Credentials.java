package io.strata.jms.ra;

import jakarta.resource.spi.ConnectionRequestInfo;

/**
 * The user a managed connection is signed on as: what the application gave {@code createConnection(user, password)}
 * (the request's info), the container's {@code PasswordCredential}, or the factory's own; a null user is the
 * provider's default (no credentials sent, or the factory's {@code sasl.jaas.config}). Immutable; equal by value,
 * as the container's pool compares them.
 */
record Credentials(String userName, String password) implements ConnectionRequestInfo {

    static final Credentials NONE = new Credentials(null, null);

    @Override
    public String toString() {
        return userName == null ? "the factory's default user" : "user '" + userName + "'";
    }
}
