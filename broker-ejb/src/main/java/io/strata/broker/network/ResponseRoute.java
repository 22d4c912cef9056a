package io.strata.broker.network;

/**
 * The way back from a request to its connection: the network thread that read it, which writes the answer to the
 * socket. Tests that drive the handlers without sockets give their requests a route of their own.
 *
 * <p>Implementations are thread-safe: request threads and the group coordinator's threads answer through it.
 */
interface ResponseRoute {

    void enqueue(Processor.Action action);
}
