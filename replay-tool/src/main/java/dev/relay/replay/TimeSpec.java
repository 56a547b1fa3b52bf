package dev.relay.replay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code --since}/{@code --until}: an ISO-8601 instant ({@code 2026-11-24T20:00:00Z}), a date-time with an
 * offset ({@code 2026-11-24T21:00:00+01:00}), a local date-time ({@code T} or a space between date and time) or a
 * date (both read as UTC), {@code now}, or a time
 * relative to now ({@code 30m}, {@code 2h}, {@code 7d}, {@code 1h30m}, {@code 90s}).
 */
public final class TimeSpec {

    private static final Pattern RELATIVE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d|w))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

    private TimeSpec() {}

    public static Instant parse(String option, String text, Clock clock) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw bad(option, text);
        }
        if (t.equalsIgnoreCase("now")) {
            return clock.instant();
        }
        if (RELATIVE.matcher(t).matches()) {
            return clock.instant().minus(relative(option, t));
        }
        if (t.matches("\\d{4}-\\d{2}-\\d{2} \\d.*")) {
            t = t.replaceFirst(" ", "T"); // "2026-11-24 20:00", as operators type it
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException ignored) {
            // not an instant; try the other ISO forms
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException ignored) {
            // no offset
        }
        try {
            return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException ignored) {
            // no time
        }
        try {
            return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
            throw bad(option, text);
        }
    }

    static Duration relative(String option, String text) {
        Matcher m = PART.matcher(text);
        Duration total = Duration.ZERO;
        try {
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(
                        switch (m.group(2)) {
                            case "ms" -> Duration.ofMillis(n);
                            case "s" -> Duration.ofSeconds(n);
                            case "m" -> Duration.ofMinutes(n);
                            case "h" -> Duration.ofHours(n);
                            case "d" -> Duration.ofDays(n);
                            default -> Duration.ofDays(7 * n);
                        });
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw ReplayException.usage(option + ": \"" + text + "\" is too large");
        }
        return total;
    }

    private static ReplayException bad(String option, String text) {
        return ReplayException.usage(option + ": cannot read \"" + text + "\" as a time; expected an ISO-8601 instant "
                + "(2026-11-24T20:00:00Z), a date-time (2026-11-24T20:00, read as UTC), a date (2026-11-24), "
                + "'now', or a time relative to now (30m, 2h, 7d, 1h30m)");
    }
}
