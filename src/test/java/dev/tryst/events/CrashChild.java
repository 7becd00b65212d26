package dev.tryst.events;

import dev.tryst.wire.Bytes;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Arrays;

/**
 * Run in a child JVM by {@link EventStoreTest}: appends events to the store in {@code args[0]}
 * for the identity whose bytes are all {@code args[1]}, forever, and prints each order only after
 * {@link EventStore#append} returned, one whole line per write. The parent kills it mid-stream.
 */
public final class CrashChild {
    public static void main(String[] args) throws Exception {
        byte[] id = new byte[32];
        Arrays.fill(id, Byte.parseByte(args[1]));
        Bytes identity = Bytes.of(id);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.US_ASCII);
        EventLimits limits = EventLimits.defaults().withMaxEvents(1_000_000).withMaxBytes(1L << 40);
        try (EventStore store = EventStore.open(Path.of(args[0]), limits, InstantSource.system())) {
            for (long i = 0; ; i++) {
                long order = store.append(identity, (byte) 7, Bytes.of(("event " + i).getBytes(StandardCharsets.US_ASCII)));
                out.print(order + "\n");
                out.flush();
            }
        }
    }
}
