package dev.tryst.state.local;

import dev.tryst.state.RoomDirectory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The rooms of one process, in a map under one lock. */
public final class LocalRooms implements RoomDirectory {
    private final Map<String, Room> rooms = new HashMap<>();
    private final Map<InetAddress, Integer> createdFrom = new HashMap<>();

    @Override
    public synchronized Room get(String nameplate) {
        return rooms.get(nameplate);
    }

    @Override
    public synchronized boolean create(Room room) {
        if (rooms.putIfAbsent(room.nameplate(), room) != null) {
            return false;
        }
        createdFrom.merge(room.creatorGroup(), 1, Integer::sum);
        return true;
    }

    @Override
    public synchronized boolean replace(Room room) {
        return rooms.replace(room.nameplate(), room) != null;
    }

    @Override
    public synchronized Room remove(String nameplate) {
        Room r = rooms.remove(nameplate);
        if (r != null) {
            createdFrom.computeIfPresent(r.creatorGroup(), (k, v) -> v <= 1 ? null : v - 1);
        }
        return r;
    }

    @Override
    public synchronized int countCreatedFrom(InetAddress group) {
        return createdFrom.getOrDefault(group, 0);
    }

    @Override
    public synchronized List<Room> expired(long nowNanos) {
        List<Room> out = new ArrayList<>();
        for (Room r : rooms.values()) {
            if (nowNanos - r.expiresNanos() >= 0) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public synchronized int size() {
        return rooms.size();
    }
}
