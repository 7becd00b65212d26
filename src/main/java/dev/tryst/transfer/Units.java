package dev.tryst.transfer;

/** How sizes are shown to people, everywhere: 10^3-based units with one decimal. */
public final class Units {
    private Units() {}

    private static final String[] UNITS = {"kB", "MB", "GB", "TB", "PB", "EB"};

    /** "999 B", "12.3 MB", "1.0 GB"; the unit is chosen after rounding (999 999 B is "1.0 MB"). */
    public static String bytes(double bytes) {
        if (bytes < 999.5) {
            return Math.round(bytes) + " B";
        }
        double v = bytes;
        int u = -1;
        do {
            v /= 1000;
            u++;
        } while (Math.round(v * 10) >= 10_000 && u < UNITS.length - 1);
        long tenths = Math.round(v * 10);
        return tenths / 10 + "." + tenths % 10 + " " + UNITS[u];
    }
}
