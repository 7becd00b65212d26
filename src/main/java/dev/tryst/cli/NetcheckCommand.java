package dev.tryst.cli;

import dev.tryst.channel.Handshake;
import dev.tryst.client.Connector;
import dev.tryst.path.PathRace;
import dev.tryst.punch.EndpointsWire;
import dev.tryst.punch.UdpPunch;
import dev.tryst.code.Code;
import dev.tryst.code.CodeFormatException;
import dev.tryst.stun.StunClient;
import dev.tryst.stun.StunWire;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "netcheck", mixinStandardHelpOptions = true,
        description = {"Check how this machine and another reach each other: run it on one, then on the other with"
            + " the code the first prints. Reports the UDP address STUN sees, the path a transfer would take (direct"
            + " TCP or the relay) and whether a direct UDP path can be punched (the kind a mesh VPN uses), with"
            + " timings. Sends only probes.",
            "Output, one line each: 'stun ADDRESS', 'tcp PATH MS', 'udp ADDRESS|none MS [sprayed]' (tab-separated)."})
final class NetcheckCommand implements Callable<Integer> {
    /** The spray used when plain probing has not worked (BASELINES: 512 ports joined cone and symmetric every time). */
    static final int SPRAY_PORTS = 512;

    @Spec
    CommandSpec spec;

    @Mixin
    Meeting meeting = new Meeting();

    @Parameters(paramLabel = "CODE", arity = "0..*", description = "The code the other side's netcheck printed.")
    List<String> codeWords = List.of();

    @Option(names = "--stun", paramLabel = "HOST[:PORT]",
            description = "The STUN server (default: the rendezvous server's host, port 3478).")
    String stun;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m", converter = Durations.class,
            description = "How long to wait for the other side. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SecureRandom random = new SecureRandom();
        Code code = null;
        if (!codeWords.isEmpty()) {
            try {
                code = Code.parse(String.join("-", codeWords));
            } catch (CodeFormatException e) {
                throw new Main.UsageException(e.getMessage());
            }
        }
        Handshake.Role role = code == null ? Handshake.Role.INITIATOR : Handshake.Role.RESPONDER;
        var timeouts = meeting.config(role, wait);
        try (Meeting.Way way = meeting.open(err, false)) {
            if (way.control() == null) {
                throw new Main.UsageException("netcheck needs a tryst server with a rendezvous (--server HOST)");
            }
            if (code == null) {
                code = Connector.createRoom(way.control(), null, Code.DEFAULT_WORDS, random);
                err.println("Code: " + code.phrase());
                err.println("On the other machine run:  tryst netcheck " + code.phrase());
                err.flush();
            } else {
                Connector.joinRoom(way.control(), code);
            }
            InetSocketAddress stunServer = stunServer(way);
            try (DatagramSocket udp = new DatagramSocket(0)) {
                InetSocketAddress[] mapped = {null};
                // asked for when the peer is there, so that the mapping is fresh (NATs forget idle UDP mappings)
                Connector.Met met = Connector.meet(way.control(), code, role, timeouts, () -> {
                    List<InetSocketAddress> mine = new java.util.ArrayList<>();
                    try {
                        mapped[0] = StunClient.mappedAddress(udp, stunServer, Duration.ofSeconds(3), random);
                        mine.add(mapped[0]);
                        for (var a : dev.tryst.path.Candidates.local(udp.getLocalPort(), 7)) {
                            mine.add(a.toSocketAddress());
                        }
                    } catch (IOException e) {
                        err.println("tryst: no STUN answer from " + dev.tryst.net.HostPort.format(stunServer) + " (" + e.getMessage() + ")");
                    }
                    return EndpointsWire.encode(mine);
                }, random);
                try {
                    out.println("stun\t" + (mapped[0] == null ? "none" : dev.tryst.net.HostPort.format(mapped[0])));
                    long t0 = System.nanoTime();
                    try {
                        PathRace.Won won = Connector.race(way.control(), met, timeouts, way.relay(), random, false);
                        won.session().close();
                        out.println("tcp\t" + won.session().path() + "\t" + ms(t0));
                    } catch (dev.tryst.session.SessionException e) {
                        out.println("tcp\tnone\t" + ms(t0) + "\t(" + e.getMessage() + ")");
                    }
                    out.flush();
                    List<InetSocketAddress> theirs = EndpointsWire.decode(met.peerExtra());
                    if (mapped[0] == null || theirs.isEmpty()) {
                        out.println("udp\tnone\t-\t(no STUN mapping on " + (mapped[0] == null ? "this" : "the other") + " side)");
                    } else {
                        long t1 = System.nanoTime();
                        UdpPunch.Path p = UdpPunch.punch(udp, new UdpPunch.Plan(role, theirs.getFirst(),
                                theirs.subList(1, theirs.size()), Duration.ofMillis(1000), SPRAY_PORTS, Duration.ofSeconds(6)),
                                met.agreed(), random);
                        if (p == null) {
                            out.println("udp\tnone\t" + ms(t1));
                        } else {
                            p.socket().close();
                            out.println("udp\t" + dev.tryst.net.HostPort.format(p.peer()) + "\t" + p.took().toMillis()
                                    + (p.sprayed() ? "\tsprayed" : ""));
                        }
                    }
                    out.flush();
                } finally {
                    met.agreed().close();
                }
            }
        }
        return ExitCode.OK.code;
    }

    private InetSocketAddress stunServer(Meeting.Way way) {
        if (stun != null) {
            try {
                return dev.tryst.net.HostPort.resolve(dev.tryst.net.HostPort.parse(stun, StunWire.DEFAULT_PORT));
            } catch (java.net.UnknownHostException e) {
                throw new Main.UsageException("--stun: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--stun " + e.getMessage());
            }
        }
        return new InetSocketAddress(way.control().server().getAddress(), StunWire.DEFAULT_PORT);
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
