package dev.tryst.stun;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Third-party clients against the server on loopback: coturn's {@code turnutils_stunclient} and
 * Debian's RFC 3489 {@code stun} (stun-client). Skipped when they are not installed.
 *
 * <p>Both send requests smaller than any answer (20 and 28 bytes), so with the default
 * {@code responseSlack} of 0 they get nothing; these tests give the server 64 bytes of slack.
 */
@Timeout(30)
class StunInteropTest {
    static final Path TURNUTILS = Path.of("/usr/bin/turnutils_stunclient");
    static final Path STUN = Path.of("/usr/bin/stun");

    static String run(String... cmd) throws Exception {
        return run(10, cmd);
    }

    static String run(int seconds, String... cmd) throws Exception {
        List<String> full = new ArrayList<>(List.of("timeout", String.valueOf(seconds)));
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(15, TimeUnit.SECONDS));
        return new String(out, StandardCharsets.UTF_8);
    }

    static StunServer alternateServer(StunConfig base) throws Exception {
        InetSocketAddress a1 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
        InetSocketAddress a2 = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0);
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                return StunServer.start(base.withBind(a1).withAlternate(a2));
            } catch (BindException e) {
                last = e;
            }
        }
        throw last;
    }

    static StunConfig slack() {
        return StunServerTest.testConfig().withResponseSlack(64);
    }

    @Test
    void turnutilsStunclientSeesItsMappedAddress() throws Exception {
        assumeTrue(Files.isExecutable(TURNUTILS), "coturn's turnutils_stunclient not installed");
        try (StunServer server = StunServer.start(slack())) {
            String out = run(TURNUTILS.toString(), "-p", String.valueOf(server.address().getPort()), "127.0.0.1");
            assertTrue(out.contains("UDP reflexive addr: 127.0.0.1:"), out);
            assertTrue(server.stats().responses() >= 1, server.stats().toString());
        }
    }

    /**
     * In RFC 5780 mode the client reads RESPONSE-ORIGIN and OTHER-ADDRESS from the first answer,
     * then asks again with CHANGE-REQUEST plus RESPONSE-PORT (0x0027), which this server does not
     * implement (it would aim answers at other ports of the client's host), so it gets a 420 and
     * waits in vain; hence the short timeout.
     */
    @Test
    void turnutilsStunclientRfc5780Mode() throws Exception {
        assumeTrue(Files.isExecutable(TURNUTILS), "coturn's turnutils_stunclient not installed");
        try (StunServer server = alternateServer(slack())) {
            String out = run(2, TURNUTILS.toString(), "-f", "-p", String.valueOf(server.address().getPort()), "127.0.0.1");
            assertTrue(out.contains("Response origin: : " + hostPort(server.address())), out);
            assertTrue(out.contains("Other addr: : " + hostPort(server.alternateAddress())), out);
            assertTrue(out.contains("UDP reflexive addr: 127.0.0.1:"), out);
            assertEquals(2, server.stats().responses(), server.stats().toString());
            assertEquals(1, server.stats().errorResponses(), "420 for RESPONSE-PORT");
        }
    }

    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Test
    void debianStunClientSeesItsMappedAddress() throws Exception {
        assumeTrue(Files.isExecutable(STUN), "Debian's stun-client not installed");
        try (StunServer server = alternateServer(slack())) {
            // -v prints each answer; it warns "problem parsing ServerName" because it wants
            // SOFTWARE's length to be a multiple of 4, and carries on.
            String out = run(STUN.toString(), "127.0.0.1:" + server.address().getPort(), "-v");
            assertTrue(out.contains("MappedAddress = 127.0.0.1:"), out);
            assertTrue(out.contains("ChangedAddress = " + hostPort(server.alternateAddress())), out);
            assertTrue(out.contains("Primary: Open"), out);
        }
    }

    @Test
    void withoutSlackTheyGetNoAnswer() throws Exception {
        assumeTrue(Files.isExecutable(TURNUTILS), "coturn's turnutils_stunclient not installed");
        try (StunServer server = StunServer.start(StunServerTest.testConfig())) {
            String out = run(2, TURNUTILS.toString(), "-p", String.valueOf(server.address().getPort()), "127.0.0.1");
            assertFalse(out.contains("reflexive addr"), out);
            assertEquals(0, server.stats().responses());
            assertTrue(server.stats().droppedAmplification() >= 1, server.stats().toString());
        }
    }
}
