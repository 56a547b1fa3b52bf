package dev.relay.replay;

/**
 * What one scan of one topic read. {@code skippedBeforeStart} counts the records between the log start and the
 * offset {@code offsetsForTimes} gave for the window start: they were never fetched.
 */
public record ScanStats(
        String topic,
        int partitions,
        long skippedBeforeStart,
        long recordsRead,
        long recordsDecoded,
        long recordsMatched,
        long undecodable,
        long millis) {

    /** Records fetched per second (0 when nothing was read). */
    public double recordsPerSecond() {
        return millis <= 0 ? 0 : recordsRead * 1000.0 / millis;
    }
}
