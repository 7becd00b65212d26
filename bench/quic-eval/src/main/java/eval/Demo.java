package eval;

import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.log.NullLogger;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Fit checks (d, e, f): QUIC over tryst's own punched DatagramChannel, pinned fingerprints, wrong pin refused,
 *  a stranger refused, thread counts. `./run.sh demo` */
public final class Demo {
    static void say(String f, Object... a) { System.out.printf(f + "%n", a); }

    public static void main(String[] args) throws Exception {
        for (Duplex.Quic q : List.of(new NettyQuic(), new KwikQuic())) {
            say("==== %s", q.name());
            Set<String> before = threadNames();
            ownSocketEcho(q, "EC", q instanceof NettyQuic);
            Set<String> lib = threadNames(); lib.removeAll(before);
            say("threads created by %s (names): %s", q.name(), summarize(lib));
            try { ownSocketEcho(q, "Ed25519", false); } catch (Throwable e) { say("Ed25519 server cert: FAILED: %s", oneLine(e)); }
            wrongPin(q);
            stranger(q);
            if (q instanceof NettyQuic) wrongClientCert(q);
        }
        kwikTrustManagerPath();
        System.exit(0);
    }

    /** d + e(ii): punched pair, server on B only for A, client on A pinning B's cert; echo both ways. */
    static void ownSocketEcho(Duplex.Quic q, String alg, boolean mutual) throws Exception {
        DatagramChannel[] p = Run.punchedPair();
        InetSocketAddress a = (InetSocketAddress) p[0].getLocalAddress(), b = (InetSocketAddress) p[1].getLocalAddress();
        Certs.Identity srv = Certs.selfSigned(alg, "tryst"), cli = Certs.selfSigned("EC", "tryst");
        CompletableFuture<Duplex> acc = q.listen(p[1], a, srv, mutual ? cli.fingerprint() : null);
        Thread.ofVirtual().start(() -> {
            try (Duplex s = acc.get(10, TimeUnit.SECONDS)) {
                String m = new DataInputStream(s.in()).readUTF();
                DataOutputStream o = new DataOutputStream(s.out());
                o.writeUTF("pong:" + m); o.close();
                Thread.sleep(300);
            } catch (Exception e) { say("server side: %s", oneLine(e)); }
        });
        try (Duplex c = q.connect(p[0], b, mutual ? cli : null, srv.fingerprint())) {
            DataOutputStream o = new DataOutputStream(c.out());
            o.writeUTF("ping"); o.flush();
            String r = new DataInputStream(c.in()).readUTF();
            say("[%s cert %s%s] punched sockets A=%s B=%s; QUIC client on A, server on B; got '%s'; A still bound to %s, open=%s",
                    alg, srv.cert().getPublicKey().getAlgorithm(), mutual ? ", mutual TLS pinned both ways" : "",
                    a, b, r, p[0].getLocalAddress(), p[0].isOpen());
            o.close();
        }
    }

    static void wrongPin(Duplex.Quic q) throws Exception {
        DatagramChannel[] p = Run.punchedPair();
        Certs.Identity srv = Certs.selfSigned("EC", "tryst"), other = Certs.selfSigned("EC", "tryst");
        q.listen(p[1], (InetSocketAddress) p[0].getLocalAddress(), srv, null);
        try (Duplex c = q.connect(p[0], (InetSocketAddress) p[1].getLocalAddress(), null, other.fingerprint())) {
            say("WRONG PIN ACCEPTED (bad)");
        } catch (Exception e) { say("wrong server fingerprint refused: %s", oneLine(e)); }
    }

    static void wrongClientCert(Duplex.Quic q) throws Exception {
        DatagramChannel[] p = Run.punchedPair();
        Certs.Identity srv = Certs.selfSigned("EC", "tryst"), cli = Certs.selfSigned("EC", "tryst"), intruder = Certs.selfSigned("EC", "tryst");
        CompletableFuture<Duplex> acc = q.listen(p[1], (InetSocketAddress) p[0].getLocalAddress(), srv, cli.fingerprint());
        try (Duplex c = q.connect(p[0], (InetSocketAddress) p[1].getLocalAddress(), intruder, srv.fingerprint())) {
            c.out().write(1); c.out().flush();
            Object r = acc.get(3, TimeUnit.SECONDS);
            say("server accepted a stream from a client with the wrong cert: %s (bad)", r);
        } catch (Exception e) { say("wrong client certificate refused by server: %s", oneLine(e)); }
    }

    /** Server expects peer A; a third socket C tries to connect: must get nowhere. */
    static void stranger(Duplex.Quic q) throws Exception {
        DatagramChannel[] p = Run.punchedPair();
        DatagramChannel c = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Certs.Identity srv = Certs.selfSigned("EC", "tryst");
        q.listen(p[1], (InetSocketAddress) p[0].getLocalAddress(), srv, null);
        long t0 = System.nanoTime();
        try (Duplex d = q.connect(c, (InetSocketAddress) p[1].getLocalAddress(), null, srv.fingerprint())) {
            say("STRANGER CONNECTED (bad)");
        } catch (Exception e) {
            say("stranger %s refused after %d ms: %s%s", c.getLocalAddress(), (System.nanoTime() - t0) / 1_000_000, oneLine(e),
                    q instanceof NettyQuic ? " (OnlyFrom dropped " + NettyQuic.OnlyFrom.dropped.get() + " datagrams so far)" : " (server socket connect()ed to peer: kernel drops)");
        }
    }

    /** kwik's customTrustManager route works only if the server cert's CN/SAN equals the host the client dials. */
    static void kwikTrustManagerPath() throws Exception {
        say("==== kwik customTrustManager (pin inside the handshake; server cert CN must equal dialed host)");
        for (boolean right : new boolean[]{true, false}) {
            DatagramChannel[] p = Run.punchedPair();
            InetSocketAddress b = (InetSocketAddress) p[1].getLocalAddress();
            Certs.Identity srv = Certs.selfSigned("EC", b.getAddress().getHostAddress());
            new KwikQuic().listen(p[1], (InetSocketAddress) p[0].getLocalAddress(), srv, null);
            p[0].configureBlocking(true);
            p[0].connect(b);
            String pin = right ? srv.fingerprint() : Certs.selfSigned("EC", "x").fingerprint();
            QuicClientConnection c = QuicClientConnection.newBuilder()
                    .uri(URI.create("quic://" + b.getAddress().getHostAddress() + ":" + b.getPort()))
                    .applicationProtocol("tryst").customTrustManager(new Certs.Pin(pin))
                    .socketFactory(x -> p[0].socket()).connectTimeout(Duration.ofSeconds(5)).logger(new NullLogger()).build();
            try { c.connect(); say("%s pin: connected=%s", right ? "right" : "WRONG", c.isConnected()); c.close(); }
            catch (Exception e) { say("%s pin: refused in handshake: %s", right ? "right" : "wrong", oneLine(e)); }
        }
    }

    static Set<String> threadNames() {
        Set<String> s = new TreeSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> s.add(t.getName() + (t.isVirtual() ? "(v)" : "") + "#" + t.threadId()));
        return s;
    }
    static String summarize(Set<String> s) {
        Map<String, Integer> m = new TreeMap<>();
        for (String n : s) m.merge(n.replaceAll("#\\d+$", "").replaceAll("-\\d+$", "-N"), 1, Integer::sum);
        return s.size() + " " + m;
    }
    static String oneLine(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 400; t = t.getCause())
            b.append(b.isEmpty() ? "" : " <- ").append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        return b.toString().replace('\n', ' ');
    }
}
