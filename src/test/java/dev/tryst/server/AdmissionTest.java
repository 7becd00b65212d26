package dev.tryst.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tryst.net.FakeTicker;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /**
     * Finding 12: counted by /64 only, one /48 was 65 536 sources and could reach the global bound
     * alone. A site (/48) has its own bound now.
     */
    @Test
    void finding12_oneSlash48IsBoundedAsASiteHoweverManySlash64sItUses() throws Exception {
        Admission a = new Admission(new Admission.Limits(1000, 2, 3, 1e6, 1_000_000, 1e6, 1_000_000), new FakeTicker());
        assertNull(a.admit(ip("2001:db8:1:1::1")));
        assertNull(a.admit(ip("2001:db8:1:1::2")));
        assertEquals(Admission.Refusal.SOURCE, a.admit(ip("2001:db8:1:1::3")), "a /64 is one source");
        assertNull(a.admit(ip("2001:db8:1:2::1")));
        assertEquals(Admission.Refusal.WIDE_SOURCE, a.admit(ip("2001:db8:1:3::1")), "a fourth from the /48");
        assertEquals(Admission.Refusal.WIDE_SOURCE, a.admit(ip("2001:db8:1:ffff::1")));
        assertNull(a.admit(ip("2001:db8:2::1")), "another site");
        a.release(ip("2001:db8:1:1::2"));
        assertNull(a.admit(ip("2001:db8:1:3::1")), "a place given back is a place");
        assertEquals(4, a.active());
    }

    /** Finding 12: many sources together are slowed by a global rate of new connections, on the ticker. */
    @Test
    void finding12_newConnectionsInAllAreRateLimited() throws Exception {
        FakeTicker clock = new FakeTicker();
        Admission a = new Admission(new Admission.Limits(1000, 10, 40, 1e6, 1_000_000, 10, 5), clock);
        for (int i = 1; i <= 5; i++) {
            assertNull(a.admit(ip("198.18.0." + i)), "the burst");
        }
        assertEquals(Admission.Refusal.RATE, a.admit(ip("198.18.0.6")));
        clock.advance(Duration.ofMillis(100)); // 10 a second: one more
        assertNull(a.admit(ip("198.18.0.6")));
        assertEquals(Admission.Refusal.RATE, a.admit(ip("198.18.0.7")));
        clock.advance(Duration.ofSeconds(60)); // refills to the burst, no further
        for (int i = 7; i <= 11; i++) {
            assertNull(a.admit(ip("198.18.0." + i)));
        }
        assertEquals(Admission.Refusal.RATE, a.admit(ip("198.18.0.12")));
    }

    /**
     * One source that opens and closes connections as fast as it can spends its own rate, not the
     * rate in all: another source still gets in (found in review: the rate in all used to be charged first).
     */
    @Test
    void oneSourceCannotSpendEveryonesRate() throws Exception {
        Admission a = new Admission(new Admission.Limits(1000, 10, 40, 5, 5, 20, 20), new FakeTicker());
        InetAddress flooder = ip("198.18.0.66");
        int admitted = 0;
        for (int i = 0; i < 100; i++) {
            if (a.admit(flooder) == null) {
                admitted++;
                a.release(flooder);
            }
        }
        assertEquals(5, admitted, "the source's own burst, then nothing");
        assertNull(a.admit(ip("198.18.0.7")), "another source is still admitted");
    }

    @Test
    void ipv4IsOneSourceAndItsOwnSite() throws Exception {
        Admission a = new Admission(new Admission.Limits(1000, 1, 1, 1e6, 1_000_000, 1e6, 1_000_000), new FakeTicker());
        assertNull(a.admit(ip("198.18.0.1")));
        assertEquals(Admission.Refusal.SOURCE, a.admit(ip("198.18.0.1")));
        assertNull(a.admit(ip("198.18.0.2")), "a neighbour is another source and site");
    }
}
