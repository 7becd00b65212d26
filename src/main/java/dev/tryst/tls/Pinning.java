package dev.tryst.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client side of the control port's TLS: the server is trusted by the SHA-256 fingerprint of its
 * certificate ({@link Pin}), not by a certificate authority.
 *
 * <p><b>Host name verification does not apply</b>: the pin names the exact certificate (and so
 * the exact key), which is a stronger statement than "some CA vouched for this name"; a
 * self-signed {@code CN=tryst} certificate never matches the host name anyway. For the same
 * reason the certificate's validity dates, issuer and chain are not checked: only the leaf
 * certificate's fingerprint counts. TLS 1.3 itself makes the server prove it holds the
 * certificate's private key (CertificateVerify), so a copied certificate does not pass.
 *
 * <p>Only TLS 1.3 is accepted: the trust manager refuses a handshake that negotiated anything
 * else, so this holds even for sockets whose enabled protocols were not restricted
 * ({@link Tls#openClient} restricts them too).
 *
 * <p><b>Trust on first use only checks during the handshake</b>: a server with a line in
 * {@code known_servers} must present that certificate; an unknown server is accepted
 * provisionally and nothing is written. The trust manager sees the certificate before the server
 * has proven it holds the key (CertificateVerify comes later), so remembering it there would let a
 * server that cannot finish the handshake plant a certificate that then locks the real server out.
 * The caller remembers the server with {@link #remember} once it has answered in tryst's protocol
 * (the control client does, once the login has been answered with CONNECTED).
 *
 * <p>A refusal surfaces as an {@link javax.net.ssl.SSLHandshakeException} whose message is that
 * of the {@link PinMismatchException} in its cause chain; {@link Tls#openClient} throws the
 * {@code PinMismatchException} itself.
 */
public final class Pinning {
    public static final String PROTOCOL = "TLSv1.3";
    private static final String NO_ADDRESS = "trust on first use needs the server's host and port; none known for this connection";

    private Pinning() {
    }

    /** A TLS 1.3 client context that trusts exactly what {@code pin} says. */
    public static SSLContext clientContext(Pin pin) {
        try {
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(null, new TrustManager[] {new PinningTrustManager(pin)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS 1.3 is part of every JDK 25", e);
        }
    }

    /**
     * Under trust on first use, remembers the certificate of the server at the other end of
     * {@code ssl} in {@code known_servers} (appended under a file lock, forced to disk, file mode
     * 0600); nothing for an explicit pin or a server already remembered. Call it only once the
     * server has completed the handshake and answered in tryst's protocol: that is the moment it
     * has shown it holds the certificate's key and is a tryst server.
     *
     * @throws PinMismatchException another certificate was remembered for this server since the
     *     handshake checked it (a concurrent first connection met a different one)
     * @throws IOException           {@code known_servers} could not be written
     */
    public static void remember(SSLSocket ssl, Pin pin) throws IOException {
        if (!(pin instanceof Pin.TrustOnFirstUse tofu)) {
            return;
        }
        SSLSession session = ssl.getSession();
        if (session.getPeerHost() == null || session.getPeerPort() <= 0) {
            throw new IllegalArgumentException(NO_ADDRESS);
        }
        Fingerprint presented = Fingerprint.of((X509Certificate) session.getPeerCertificates()[0]);
        KnownServers.verifyOrRemember(tofu.knownServers(), KnownServers.key(session.getPeerHost(), session.getPeerPort()), presented);
    }

    /**
     * Checks the server's leaf certificate against the pin; the server is named by its handshake
     * peer host and port. Writes nothing: see {@link #remember}.
     */
    static final class PinningTrustManager extends X509ExtendedTrustManager {
        private final Pin pin;

        PinningTrustManager(Pin pin) {
            this.pin = pin;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            String host = null;
            int port = socket.getPort();
            if (socket instanceof SSLSocket ssl && ssl.getHandshakeSession() != null) {
                SSLSession session = ssl.getHandshakeSession();
                requireTls13(session);
                host = session.getPeerHost();
                if (session.getPeerPort() > 0) {
                    port = session.getPeerPort();
                }
            }
            if (host == null && socket.getInetAddress() != null) {
                host = socket.getInetAddress().getHostAddress();
            }
            check(chain, host, port);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            if (engine.getHandshakeSession() != null) {
                requireTls13(engine.getHandshakeSession());
            }
            check(chain, engine.getPeerHost(), engine.getPeerPort());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, null, -1);
        }

        private static void requireTls13(SSLSession session) throws CertificateException {
            if (!PROTOCOL.equals(session.getProtocol())) {
                throw new CertificateException("the server negotiated " + session.getProtocol() + "; tryst requires " + PROTOCOL);
            }
        }

        private void check(X509Certificate[] chain, String host, int port) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server presented no certificate");
            }
            Fingerprint presented = Fingerprint.of(chain[0]);
            String server = host == null ? "(unknown address)" : KnownServers.key(host, port);
            switch (pin) {
                case Pin.Explicit explicit -> {
                    if (!explicit.fingerprint().equals(presented)) {
                        throw refusal(new PinMismatchException(server, presented, explicit.fingerprint(), null));
                    }
                }
                case Pin.TrustOnFirstUse tofu -> {
                    if (host == null || port <= 0) {
                        throw new CertificateException(NO_ADDRESS);
                    }
                    try {
                        KnownServers.verify(tofu.knownServers(), server, presented);
                    } catch (PinMismatchException e) {
                        throw refusal(e);
                    } catch (IOException e) {
                        throw new CertificateException("cannot check the server's certificate against " + tofu.knownServers() + ": " + e.getMessage(), e);
                    }
                }
            }
        }

        private static CertificateException refusal(PinMismatchException e) {
            return new CertificateException(e.getMessage(), e);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a pinning client does not authenticate clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a pinning client does not authenticate clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a pinning client does not authenticate clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
