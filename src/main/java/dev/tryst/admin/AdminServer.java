package dev.tryst.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The admin endpoint, on the JDK's own {@link HttpServer}: {@code GET /metrics} (the Prometheus
 * text format) and {@code GET /healthz} (JSON; 200 when every service that is on is up, else 503).
 * Nothing else: other paths are 404, other methods 405, request bodies are not read.
 *
 * <p>Bounded: two handler threads and a queue of 32 requests (the connection of one more is closed
 * at once by the HttpServer's dispatcher), and each answer is built in memory before it is sent. It is meant for a local scraper; binding it beyond loopback is the operator's choice.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer http;
    private final ThreadPoolExecutor pool;

    private AdminServer(HttpServer http, ThreadPoolExecutor pool) {
        this.http = http;
        this.pool = pool;
    }

    /** Answers on {@code bind}, with what {@code metrics} and {@code health} say at each request. */
    public static AdminServer start(InetSocketAddress bind, ServerMetrics metrics, Supplier<Health> health) throws IOException {
        HttpServer http = HttpServer.create(bind, 16);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(32),
                Thread.ofPlatform().name("tryst-admin-", 0).daemon(true).factory(), (task, executor) -> {
                    throw new java.util.concurrent.RejectedExecutionException("admin endpoint busy");
                });
        http.setExecutor(pool);
        http.createContext("/", exchange -> {
            try (exchange) {
                String method = exchange.getRequestMethod();
                boolean head = method.equals("HEAD");
                if (!method.equals("GET") && !head) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8), head);
                    return;
                }
                switch (exchange.getRequestURI().getPath()) {
                    case "/metrics" -> {
                        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
                        metrics.write(out);
                        send(exchange, 200, metrics.contentType(), out.toByteArray(), head);
                    }
                    case "/healthz" -> {
                        Health h = health.get();
                        send(exchange, h.up() ? 200 : 503, "application/json", (h.json() + "\n").getBytes(StandardCharsets.UTF_8), head);
                    }
                    case "/" -> send(exchange, 200, "text/plain; charset=utf-8",
                            "tryst server admin: /metrics (Prometheus), /healthz (JSON)\n".getBytes(StandardCharsets.UTF_8), head);
                    default -> send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8), head);
                }
            } catch (IOException | RuntimeException e) {
                // the client went away, or a collector failed: nothing more to say to it
            }
        });
        http.start();
        return new AdminServer(http, pool);
    }

    private static void send(HttpExchange x, int status, String type, byte[] body, boolean head) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }
}
