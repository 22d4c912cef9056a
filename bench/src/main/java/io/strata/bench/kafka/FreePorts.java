package io.strata.bench.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Picks loopback ports that are free now, for the brokers' listeners. Thread-safe (stateless). */
final class FreePorts {

    private FreePorts() {
    }

    /** {@code count} distinct ports: all sockets are held open until all are picked, so none is handed out twice. */
    static List<Integer> pick(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports.add(socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    System.err.println("bench-vs-kafka: could not close probe socket " + socket + ": " + e);
                }
            }
        }
    }
}
