package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class JsonEventsTest {
    private static String emit(java.util.function.Consumer<JsonEvents> f) {
        StringWriter w = new StringWriter();
        f.accept(new JsonEvents(new PrintWriter(w)));
        return w.toString().strip();
    }

    @Test
    void pathsAndValuesAreWrittenAsJson() {
        assertEquals("{\"event\":\"connected\",\"path\":\"direct\",\"transport\":\"tcp\",\"address\":\"198.18.0.12:40112\"}",
                emit(j -> j.path("connected", new dev.tryst.api.PathInfo(true, "tcp", "198.18.0.12:40112"))));
        assertEquals("{\"event\":\"fallback\",\"reason\":\"cut \\\"x\\\"\\n\",\"path\":\"relay\",\"address\":\"[::1]:8080\"}",
                emit(j -> j.path("fallback", new dev.tryst.api.PathInfo(false, "relay", "[::1]:8080"), "reason", "cut \"x\"\n")));
        assertEquals("{\"event\":\"done\",\"bytes\":1073741824,\"seconds\":4.61}",
                emit(j -> j.emit("done", "bytes", 1073741824L, "seconds", 4.61)));
        assertEquals("\"\\u0001\\\\\"", JsonEvents.quote("\u0001\\"));
    }
}
