package dev.tryst.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tryst.wire.Bytes;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SendBudgetTest {
    @Test
    void aBurstThenTheHourlyRatePerSender() {
        AtomicLong now = new AtomicLong(0);
        SendBudget b = new SendBudget(now::get);
        Bytes alice = Bytes.of(new byte[] {1});
        Bytes bob = Bytes.of(new byte[] {2});
        int taken = 0;
        while (b.take(alice)) {
            taken++;
        }
        assertEquals(SendBudget.BURST, taken);
        assertTrue(b.take(bob), "one sender's budget is not another's");
        now.addAndGet(TimeUnit.HOURS.toNanos(1) / SendBudget.PER_HOUR * 3);
        assertTrue(b.take(alice));
        assertTrue(b.take(alice));
        assertTrue(b.take(alice));
        assertFalse(b.take(alice), "three earned, three spent");
        now.addAndGet(TimeUnit.DAYS.toNanos(30));
        taken = 0;
        while (b.take(alice)) {
            taken++;
        }
        assertEquals(SendBudget.BURST, taken, "refills up to the burst, never beyond");
    }
}
