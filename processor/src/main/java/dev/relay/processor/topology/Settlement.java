package dev.relay.processor.topology;

import dev.relay.schemas.Job;

/**
 * Where a job goes once its attempt on this hop is recorded ({@link HopOutcomes} returns one; {@link HopProcessor}
 * updates the in-flight store and its queues accordingly).
 */
sealed interface Settlement {

    /** The job stays on this hop as {@code entry} and is tried again from {@code entry.notBefore()}. */
    record Requeue(InflightEntry entry) implements Settlement {}

    /** The job leaves this hop for the next one, as {@code next}. */
    record Forward(Job next) implements Settlement {}

    /** The job is over: its result (and on failure its FailedJob) has been forwarded. */
    record End() implements Settlement {}
}
