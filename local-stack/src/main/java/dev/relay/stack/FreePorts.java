package dev.relay.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Picks free loopback ports for servers whose port must be known before they start. */
final class FreePorts {

    private FreePorts() {}

    /**
     * A port that was free a moment ago. There is a small race (another process may take it before our server binds),
     * but Kafka's controller port has to be written into {@code controller.quorum.voters} before the server starts,
     * and Apicurio takes its ports as system properties, so binding port 0 ourselves is not possible.
     */
    static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    /** {@code port}, or a free one when it is 0; a fixed port that is taken fails now, with a message that says so. */
    static int orPick(int port, String what) {
        if (port == 0) {
            return pick();
        }
        try (ServerSocket socket = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return port;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "port " + port + " on 127.0.0.1 is already in use; " + what
                            + " needs it (stop whatever holds it, or choose another port)",
                    e);
        }
    }
}
