package dev.tryst.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLContext;

/**
 * The rendezvous server's TLS identity: a private key and its certificate chain.
 *
 * <p><b>Files</b> ({@link #loadOrCreate}) in the server's state directory, both mode 0600:
 * <ul>
 * <li>{@code server.p12}: PKCS#12 keystore, one entry, alias {@code tryst}: an EC P-256 key and
 *     a self-signed certificate {@code CN=tryst}, SHA256withECDSA, valid 3650 days;</li>
 * <li>{@code server.p12.pass}: the keystore's (and the key's) random password, UTF-8, one line.</li>
 * </ul>
 * Or a PEM pair the operator gives ({@link #fromPem}).
 *
 * <p>The {@link #fingerprint()} is SHA-256 of the leaf certificate's DER: what clients pin.
 */
public final class ServerIdentity {
    public static final String KEYSTORE_FILE = "server.p12";
    public static final String PASSWORD_FILE = "server.p12.pass";
    static final String ALIAS = "tryst";
    static final long KEYTOOL_TIMEOUT_SECONDS = 60;
    private static final String PASSWORD_ENV = "TRYST_KEYSTORE_PASS";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Pattern PEM_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final Fingerprint fingerprint;
    private final boolean created;

    private ServerIdentity(PrivateKey key, X509Certificate[] chain, boolean created) {
        this.key = key;
        this.chain = chain.clone();
        this.fingerprint = Fingerprint.of(chain[0]);
        this.created = created;
    }

    /**
     * The identity in {@code stateDir/server.p12}; created there first (with the JDK's
     * {@code keytool}) if absent. The caller should print {@link #fingerprint()} when
     * {@link #created()}.
     *
     * @throws IOException if the files cannot be read or written, are too open, are damaged, or
     *                     keytool is missing, fails or takes longer than a minute
     */
    public static ServerIdentity loadOrCreate(Path stateDir) throws IOException {
        Path keystore = stateDir.resolve(KEYSTORE_FILE);
        Path passFile = stateDir.resolve(PASSWORD_FILE);
        if (Files.exists(keystore)) {
            return load(keystore, passFile);
        }
        Files.createDirectories(stateDir);
        // One creator at a time (two servers started together on one state directory): the loser loads the winner's.
        try (FileChannel lockChannel = FileChannel.open(stateDir.resolve(KEYSTORE_FILE + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockChannel.lock()) {
            if (Files.exists(keystore)) {
                return load(keystore, passFile);
            }
            return create(stateDir, keystore, passFile);
        }
    }

    private static ServerIdentity create(Path stateDir, Path keystore, Path passFile) throws IOException {
        char[] password = randomPassword();
        // keytool creates its file with the umask's mode: let it do so inside a 0700 directory only we can enter.
        Path work;
        try {
            work = Files.createTempDirectory(stateDir, ".tls-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            work = Files.createTempDirectory(stateDir, ".tls-");
        }
        Path tmpKeystore = work.resolve(KEYSTORE_FILE);
        Path tmpPass = work.resolve(PASSWORD_FILE);
        Path log = work.resolve("keytool.log");
        try {
            runKeytool(tmpKeystore, password, log);
            restrict(tmpKeystore);
            createPrivate(tmpPass);
            Files.writeString(tmpPass, new String(password) + "\n", StandardCharsets.UTF_8);
            ServerIdentity identity = read(tmpKeystore, password, tmpKeystore, true);
            // The password lands first: a crash between the two moves leaves no keystore, so the next start makes both again.
            move(tmpPass, passFile);
            move(tmpKeystore, keystore);
            return identity;
        } finally {
            Files.deleteIfExists(tmpKeystore);
            Files.deleteIfExists(tmpPass);
            Files.deleteIfExists(log);
            Files.deleteIfExists(work);
        }
    }

    private static ServerIdentity load(Path keystore, Path passFile) throws IOException {
        requirePrivate(keystore);
        String password;
        try {
            requirePrivate(passFile);
            password = Files.readString(passFile, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new IOException("the server's TLS keystore " + keystore + " has no password file " + passFile
                    + "; restore it, or delete " + keystore + " to make a new certificate (clients will then refuse the server until they pin the new fingerprint)");
        }
        return read(keystore, password.toCharArray(), keystore, false);
    }

    private static ServerIdentity read(Path file, char[] password, Path named, boolean created) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            if (!(ks.getKey(ALIAS, password) instanceof PrivateKey key)) {
                throw new IOException("the server's TLS keystore " + named + " has no private key '" + ALIAS + "'");
            }
            Certificate[] certs = ks.getCertificateChain(ALIAS);
            return new ServerIdentity(key, toX509(certs, named), created);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the server's TLS keystore " + named + ": " + e.getMessage(), e);
        } catch (IOException e) {
            if (e.getCause() instanceof java.security.UnrecoverableKeyException) {
                throw new IOException("cannot read the server's TLS keystore " + named + ": wrong password in " + PASSWORD_FILE, e);
            }
            throw e;
        }
    }

    private static void runKeytool(Path keystore, char[] password, Path log) throws IOException {
        Path bin = Path.of(System.getProperty("java.home"), "bin");
        Path keytool = bin.resolve("keytool");
        if (!Files.isExecutable(keytool) && Files.isExecutable(bin.resolve("keytool.exe"))) {
            keytool = bin.resolve("keytool.exe");
        }
        if (!Files.isExecutable(keytool)) {
            throw new IOException("cannot create the server's TLS certificate: " + keytool + " not found (tryst needs a full JDK"
                    + " for that, not a JRE); or give a certificate and key as PEM files");
        }
        ProcessBuilder pb = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=tryst", "-validity", "3650", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                // the password goes through the environment, not the command line other users can list
                "-storepass:env", PASSWORD_ENV, "-keypass:env", PASSWORD_ENV, "-noprompt")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        pb.environment().put(PASSWORD_ENV, new String(password));
        Process p = pb.start();
        boolean done;
        try {
            done = p.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating the server's TLS certificate", e);
        }
        if (!done) {
            p.destroyForcibly();
            throw new IOException("cannot create the server's TLS certificate: " + keytool + " did not finish within "
                    + KEYTOOL_TIMEOUT_SECONDS + " s");
        }
        if (p.exitValue() != 0 || !Files.exists(keystore)) {
            throw new IOException("cannot create the server's TLS certificate: " + keytool + " exited with " + p.exitValue()
                    + ": " + Files.readString(log, StandardCharsets.UTF_8).strip());
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /**
     * The identity in a PEM certificate file (the leaf first, then any intermediates) and a PEM
     * PKCS#8 private key file ({@code -----BEGIN PRIVATE KEY-----}; EC, RSA or Ed25519,
     * unencrypted). The key must belong to the leaf certificate.
     *
     * @throws IOException with a message fit for the operator if either file is unusable
     */
    public static ServerIdentity fromPem(Path certPem, Path keyPem) throws IOException {
        X509Certificate[] chain;
        try (InputStream in = Files.newInputStream(certPem)) {
            chain = toX509(CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(new Certificate[0]), certPem);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the TLS certificate " + certPem + ": " + e.getMessage(), e);
        }
        String text = Files.readString(keyPem, StandardCharsets.US_ASCII);
        byte[] der = null;
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                try {
                    der = Base64.getMimeDecoder().decode(m.group(2).strip());
                } catch (IllegalArgumentException e) {
                    throw new IOException("the TLS key " + keyPem + " is not valid PEM: " + e.getMessage());
                }
                break;
            }
            if (type.equals("ENCRYPTED PRIVATE KEY")) {
                throw new IOException("the TLS key " + keyPem + " is encrypted; give it unencrypted: openssl pkcs8 -in " + keyPem + " -out key.pem");
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new IOException("the TLS key " + keyPem + " is a '" + type + "'; tryst reads PKCS#8 ('PRIVATE KEY'): openssl pkcs8 -topk8 -nocrypt -in "
                        + keyPem + " -out key.pem");
            }
        }
        if (der == null) {
            throw new IOException("no '-----BEGIN PRIVATE KEY-----' block in " + keyPem);
        }
        PrivateKey key = null;
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "EdDSA", "RSASSA-PSS")) {
            try {
                key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        if (key == null) {
            throw new IOException("the TLS key " + keyPem + " is not an EC, RSA or Ed25519 PKCS#8 private key");
        }
        if (!matches(key, chain[0].getPublicKey())) {
            throw new IOException("the TLS key " + keyPem + " does not belong to the first certificate in " + certPem);
        }
        return new ServerIdentity(key, chain, false);
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        String sigAlg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "RSASSA-PSS" -> null;
            default -> "Ed25519";
        };
        if (sigAlg == null) {
            return true; // PSS needs parameters; the handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            Signature s = Signature.getInstance(sigAlg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(sigAlg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static X509Certificate[] toX509(Certificate[] certs, Path from) throws IOException {
        if (certs == null || certs.length == 0) {
            throw new IOException("no certificate in " + from);
        }
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : certs) {
            if (!(c instanceof X509Certificate x)) {
                throw new IOException("not an X.509 certificate in " + from);
            }
            out.add(x);
        }
        return out.toArray(new X509Certificate[0]);
    }

    /** SHA-256 of the leaf certificate: what clients pin. */
    public Fingerprint fingerprint() {
        return fingerprint;
    }

    /** True when {@link #loadOrCreate} made this identity just now (print its fingerprint). */
    public boolean created() {
        return created;
    }

    /** The leaf certificate. */
    public X509Certificate certificate() {
        return chain[0];
    }

    /** The chain as served, leaf first. */
    public List<X509Certificate> chain() {
        return List.of(chain);
    }

    /**
     * A server context that serves this identity over TLS 1.3 only (sockets made from it must
     * still enable only {@code TLSv1.3}; {@link Tls#serverSocket} does).
     */
    public SSLContext serverContext() {
        try {
            SSLContext context = SSLContext.getInstance(Pinning.PROTOCOL);
            context.init(new KeyManager[] {new FixedKeyManager(key, chain)}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS with the server's key: " + e.getMessage(), e);
        }
    }

    /**
     * Serves exactly one key and the chain as given. (A PKCS#12 KeyStore would refuse a chain
     * whose certificates do not issue one another; clients pin the leaf and never look further.)
     * JSSE asks per signature scheme's key type and itself skips a key of another type.
     */
    private static final class FixedKeyManager extends X509ExtendedKeyManager {
        private final PrivateKey key;
        private final X509Certificate[] chain;

        FixedKeyManager(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return null;
        }
    }

    private static char[] randomPassword() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).toCharArray();
    }

    private static void createPrivate(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
    }

    private static void restrict(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    private static void requirePrivate(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        }
        if (perms.stream().anyMatch(TOO_OPEN::contains)) {
            throw new IOException("permissions " + PosixFilePermissions.toString(perms) + " for " + file
                    + " are too open: it guards the server's TLS private key. Run: chmod 600 " + file);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
