package dev.relay.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void shouldNameTheServerWhenAFixedPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> FreePorts.orPick(taken.getLocalPort(), "the Kafka broker"))
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("the Kafka broker");
        }
    }

    @Test
    void shouldPickAPortWhenZeroIsAsked() {
        assertThat(FreePorts.orPick(0, "x")).isBetween(1, 65535);
    }
}
