/**
 * tryst: two machines meet through a server and talk end-to-end encrypted.
 *
 * <p>Java programs use {@link dev.tryst.api} (send and receive with a code, identity mailboxes, a
 * server from one config record); other implementations use {@link dev.tryst.wire}, every byte
 * tryst puts on a wire. Nothing else is exported: the layers below the API may change shape.
 */
module dev.tryst {
    requires info.picocli;
    requires cafe.cryptography.curve25519_elisabeth;
    requires com.github.luben.zstd_jni;
    requires org.xerial.sqlitejdbc;
    requires java.sql;
    requires io.nayuki.qrcodegen;
    requires jdk.httpserver; // the admin endpoint of `tryst server` (/metrics, /healthz)
    requires io.prometheus.metrics.core;
    requires io.prometheus.metrics.model;
    requires io.prometheus.writer.text;
    requires io.netty.codec.classes.quic; // direct paths over UDP (dev.tryst.quic)
    requires io.netty.transport;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.handler;

    exports dev.tryst.api;
    exports dev.tryst.wire;

    opens dev.tryst.cli to info.picocli; // picocli fills the commands' option fields by reflection
}
