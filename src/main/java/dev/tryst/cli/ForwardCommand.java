package dev.tryst.cli;

import dev.tryst.api.PeerSession;
import dev.tryst.api.PeerStream;
import dev.tryst.api.Peers;
import dev.tryst.api.TrystException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Listen on local ports and carry every connection to a port a contact exposes, like ssh -L:"
            + " all of them over one authenticated session with the peer, each with its own flow control."},
        footerHeading = "%nExamples:%n", footer = {"  tryst forward laptop 2222:22", "  tryst forward laptop 8080:80 127.0.0.1:5432:5432"})
final class ForwardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PeerOptions peer = new PeerOptions();

    @Parameters(index = "0", paramLabel = "PEER", description = "A contact's name (or fingerprint, or a public key).")
    String target;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "[BIND:]LOCAL:REMOTE",
            description = "A local port (on BIND, default 127.0.0.1) and the peer's exposed port it leads to.")
    List<String> forwards = new ArrayList<>();

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
            description = "How long to wait for the peer to accept. Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Option(names = "--json", description = "Report on standard error as JSON lines; implies --quiet.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Say nothing but errors.")
    boolean quiet;

    record Forward(InetSocketAddress local, int remote) {}

    static Forward parse(String spec) {
        String[] p = spec.split(":");
        String bind = "127.0.0.1";
        String local;
        String remote;
        if (p.length == 2) {
            local = p[0];
            remote = p[1];
        } else if (spec.lastIndexOf(':') > 0 && spec.indexOf(':') != spec.lastIndexOf(':')) {
            int last = spec.lastIndexOf(':');
            int mid = spec.lastIndexOf(':', last - 1);
            bind = spec.substring(0, mid);
            local = spec.substring(mid + 1, last);
            remote = spec.substring(last + 1);
            if (bind.startsWith("[") && bind.endsWith("]")) {
                bind = bind.substring(1, bind.length() - 1);
            }
        } else {
            throw new Main.UsageException("'" + spec + "' is not [BIND:]LOCAL:REMOTE (for example 2222:22)");
        }
        int localPort;
        try {
            localPort = Integer.parseInt(local);
            if (localPort < 0 || localPort > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new Main.UsageException("'" + local + "' is not a local port (0 to 65535) in '" + spec + "'");
        }
        return new Forward(new InetSocketAddress(bind, localPort), ConnectCommand.port(remote));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        JsonEvents events = json ? new JsonEvents(err) : null;
        quiet |= json;
        List<Forward> all = forwards.stream().map(ForwardCommand::parse).toList();
        Peers peers = peer.peers(wait, err);
        String name = peers.resolve(target).name();
        List<ServerSocket> listeners = new ArrayList<>();
        try {
            for (Forward f : all) { // local ports first: a taken one is said before anything is sent
                ServerSocket ss = new ServerSocket();
                ss.setReuseAddress(true);
                try {
                    ss.bind(f.local(), 128);
                } catch (IOException e) {
                    ss.close();
                    throw new TrystException(TrystException.Reason.LOCAL_IO, "cannot listen on " + f.local().getHostString()
                            + ":" + f.local().getPort() + " (" + e.getMessage() + ")", e);
                }
                listeners.add(ss);
            }
            try (PeerSession s = peers.connect(target, ConnectCommand.reporter(err, events, quiet, name, null))) {
                AtomicInteger open = new AtomicInteger();
                for (int i = 0; i < all.size(); i++) {
                    ServerSocket ss = listeners.get(i);
                    int remote = all.get(i).remote();
                    String local = hostPort(ss);
                    if (events != null) {
                        events.emit("forwarding", "local", local, "peer", name, "port", remote);
                    } else if (!quiet) {
                        err.println("Forwarding " + local + " to " + name + ":" + remote + ".");
                        err.flush();
                    }
                    Thread.ofVirtual().name("forward-accept-" + ss.getLocalPort()).start(() -> accept(ss, s, remote, open, err));
                }
                IOException why;
                try (ShutdownHook stop = new ShutdownHook("tryst-forward-stop", s::close)) {
                    why = s.awaitEnd();
                }
                if (why != null) {
                    throw new TrystException(TrystException.Reason.PEER_GONE, why.getMessage(), why);
                }
                return ExitCode.OK.code;
            }
        } finally {
            for (ServerSocket ss : listeners) {
                ss.close();
            }
        }
    }

    private void accept(ServerSocket ss, PeerSession s, int remote, AtomicInteger open, PrintWriter err) {
        while (!ss.isClosed()) {
            Socket c;
            try {
                c = ss.accept();
                c.setTcpNoDelay(true);
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                open.incrementAndGet();
                try {
                    PeerStream stream = s.openPort(remote);
                    TrystException failure = stream.join(c);
                    if (failure != null && !quiet) {
                        synchronized (err) {
                            err.println("tryst: a forwarded connection to port " + remote + " ended: " + failure.getMessage());
                            err.flush();
                        }
                    }
                } catch (TrystException e) {
                    try {
                        c.close();
                    } catch (IOException ignored) {
                        // gone
                    }
                } finally {
                    open.decrementAndGet();
                }
            });
        }
    }

    private static String hostPort(ServerSocket ss) {
        InetAddress a = ss.getInetAddress();
        String h = a.getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + ss.getLocalPort();
    }
}
