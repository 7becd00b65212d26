package dev.tryst.events;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand. */
final class FakeClock implements InstantSource {
    private final AtomicLong millis;

    FakeClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    void advance(Duration d) {
        millis.addAndGet(d.toMillis());
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public long millis() {
        return millis.get();
    }
}
