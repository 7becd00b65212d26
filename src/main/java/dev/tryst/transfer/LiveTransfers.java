package dev.tryst.transfer;

import dev.tryst.session.Session;
import dev.tryst.wire.TransferWire.Abort;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The transfer sessions of this process, so that a process being stopped (Ctrl-C, SIGTERM) can tell
 * each peer at once, with an ABORT, instead of leaving it to find a dead path and wait for a relay
 * fallback that never comes.
 */
public final class LiveTransfers {
    private static final Set<Session> LIVE = ConcurrentHashMap.newKeySet();
    /** How long a stop waits for its ABORTs to be written (a writer blocked on a full window may hold the channel). */
    private static final long WRITE_MILLIS = 1000;
    /** Then how long the peer gets to read them before the process's exit may reset the connections. */
    private static final long READ_MILLIS = 300;

    private LiveTransfers() {}

    public static void track(Session s) {
        LIVE.add(s);
    }

    public static void untrack(Session s) {
        LIVE.remove(s);
    }

    /** Sends {@code reason} as an ABORT on every live transfer session and ends our side of them. Returns how many. */
    public static int stopAll(String reason) {
        List<Session> sessions = List.copyOf(LIVE);
        List<Thread> writers = new ArrayList<>();
        for (Session s : sessions) {
            writers.add(Thread.ofVirtual().name("tryst-abort").start(() -> {
                Peer.tryToSend(s.channel(), new Abort(reason));
                if (s.channel().transport() instanceof SocketChannel sc) {
                    try {
                        sc.shutdownOutput(); // the ABORT, then our FIN: nothing after it can overtake it
                    } catch (java.io.IOException | RuntimeException ignored) {
                        // gone already
                    }
                }
            }));
        }
        long deadline = System.nanoTime() + WRITE_MILLIS * 1_000_000;
        for (Thread t : writers) {
            try {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left > 0) {
                    t.join(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!sessions.isEmpty()) {
            try {
                Thread.sleep(READ_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return sessions.size();
    }
}
