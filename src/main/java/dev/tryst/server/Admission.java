package dev.tryst.server;

import dev.tryst.net.AddressGroup;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * How many connections a service holds, in all and per source, as {@link AddressGroup} counts a
 * source (an IPv4 address, an IPv6 /64). {@link #admit} takes a place or says which bound refused
 * it; every admitted connection gives its place back with {@link #release} exactly once.
 * Thread-safe; a few map operations per connection, never I/O, under its own lock.
 */
public final class Admission {
    /** Why a connection was not admitted. */
    public enum Refusal { TOTAL, SOURCE }

    private final int maxTotal;
    private final int maxPerSource;
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private int total;

    public Admission(int maxTotal, int maxPerSource) {
        if (maxTotal < 1 || maxPerSource < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + maxTotal + ", " + maxPerSource);
        }
        this.maxTotal = maxTotal;
        this.maxPerSource = maxPerSource;
    }

    /** Takes a place for a connection from {@code source}: null if admitted, else the bound that refused it. */
    public synchronized Refusal admit(InetAddress source) {
        if (total >= maxTotal) {
            return Refusal.TOTAL;
        }
        InetAddress group = AddressGroup.of(source);
        int n = perSource.getOrDefault(group, 0);
        if (n >= maxPerSource) {
            return Refusal.SOURCE;
        }
        perSource.put(group, n + 1);
        total++;
        return null;
    }

    /** Gives back the place of an admitted connection from {@code source}. */
    public synchronized void release(InetAddress source) {
        InetAddress group = AddressGroup.of(source);
        Integer n = perSource.get(group);
        if (n == null) {
            throw new IllegalStateException("release without admit for " + group);
        }
        if (n <= 1) {
            perSource.remove(group);
        } else {
            perSource.put(group, n - 1);
        }
        total--;
    }

    /** Connections admitted and not yet released. */
    public synchronized int active() {
        return total;
    }
}
