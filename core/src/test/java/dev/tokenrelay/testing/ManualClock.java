package dev.tokenrelay.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that stands still until the test moves it: cooldowns, deadlines and probes are then
 * tested by advancing time, not by waiting for it. Safe to read from any thread (stream threads and
 * HTTP client threads read the processor's clock). Millisecond resolution, like every time the
 * relay compares.
 */
public final class ManualClock extends Clock {

    private final AtomicLong millis;

    private ManualClock(long millis) {
        this.millis = new AtomicLong(millis);
    }

    /** A clock standing at {@code start}. */
    public static ManualClock at(Instant start) {
        return new ManualClock(start.toEpochMilli());
    }

    /**
     * A clock standing at the current time, to the second: close enough to the wall clock that
     * Kafka's record timestamps and retention windows agree with it.
     */
    public static ManualClock atNow() {
        return at(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
    }

    /** Moves the clock forward and returns the new time. */
    public Instant advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back: " + by);
        }
        return Instant.ofEpochMilli(millis.addAndGet(by.toMillis()));
    }

    /** Moves the clock to {@code instant}, which must not be before the current time. */
    public void advanceTo(Instant instant) {
        long target = instant.toEpochMilli();
        long now = millis.get();
        if (target < now) {
            throw new IllegalArgumentException("a clock does not go back: " + instant + " < " + Instant.ofEpochMilli(now));
        }
        millis.set(target);
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the relay reads instants only");
    }
}
