package dev.relay.processor.provider.batch;

import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.provider.ProviderError;

/** A provider's batch API answered an HTTP error; {@link #failureClass()} says what it means for the items. */
public final class BatchApiException extends RuntimeException {

    private final int status;
    private final ProviderError error;

    BatchApiException(String what, int status, ProviderError error) {
        super(what + ": HTTP " + status + " " + error.type() + " " + error.code() + ": " + error.message());
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    public ProviderError error() {
        return error;
    }

    public FailureClass failureClass() {
        return Classifier.classify(status, error.type(), error.code(), error.message());
    }
}
