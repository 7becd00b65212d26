package dev.tryst.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * Something a running {@link TrystServer} did that its operator may want in a log: a room opened or
 * closed, a relay pair stapled or ended, an identity logged in. {@code fields} never hold a secret
 * (no pairing key, no code words, no message); a room's number, addresses, byte counts, durations
 * and an identity's public fingerprint are what they hold.
 *
 * @param name   {@code room_opened}, {@code room_closed}, {@code room_joiner_left}, {@code pair_stapled},
 *               {@code pair_ended}, {@code login}
 * @param fields in the order the server gives them; numbers as {@link Long}, flags as {@link Boolean},
 *               addresses as {@link java.net.InetSocketAddress}, the rest as strings
 */
public record ServerEvent(String name, SequencedMap<String, Object> fields) {
    public ServerEvent {
        fields = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(fields));
    }

    static ServerEvent of(String name, Object... keyValues) {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            m.put(String.valueOf(keyValues[i]), v instanceof Integer n ? Long.valueOf(n) : v);
        }
        return new ServerEvent(name, m);
    }
}
