package dev.tryst.cli;

import java.time.Duration;
import picocli.CommandLine;

/** "500ms", "30s", "10m", "2h", or a plain number of seconds; positive ({@link OrZero}: or 0). */
class Durations implements CommandLine.ITypeConverter<Duration> {
    /** As {@link Durations}, and "0" / "0s" too (for a delay that may be none). */
    static final class OrZero extends Durations {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            if (v.matches("0+(ms|s|m|h)?")) {
                return Duration.ZERO;
            }
            return super.convert(value);
        }
    }

    @Override
    public Duration convert(String value) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2))), value);
            }
            char unit = v.charAt(v.length() - 1);
            String num = Character.isDigit(unit) ? v : v.substring(0, v.length() - 1);
            long n = Long.parseLong(num);
            Duration d = switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> {
                    if (!Character.isDigit(unit)) {
                        throw new NumberFormatException();
                    }
                    yield Duration.ofSeconds(n);
                }
            };
            return positive(d, value);
        } catch (NumberFormatException | StringIndexOutOfBoundsException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; write e.g. 30s, 10m or 500ms");
        }
    }

    private static Duration positive(Duration d, String value) {
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "': a duration must be positive");
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "': at most 365 days");
        }
        return d;
    }
}
