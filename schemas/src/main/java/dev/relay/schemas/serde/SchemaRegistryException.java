package dev.relay.schemas.serde;

/**
 * A failed call to a Confluent-API schema registry. {@link #status()} is the HTTP status (0 when the registry could
 * not be reached) and {@link #errorCode()} the registry's {@code error_code} (for example 40401, 40403, 409).
 */
public class SchemaRegistryException extends RuntimeException {

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(int status, int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The subject, version or schema id does not exist (404). */
    public static final class NotFound extends SchemaRegistryException {
        public NotFound(int errorCode, String message) {
            super(404, errorCode, message, null);
        }
    }

    /** The schema breaks the subject's compatibility rule (409). */
    public static final class Incompatible extends SchemaRegistryException {
        public Incompatible(String message) {
            super(409, 409, message, null);
        }
    }

    /** The registry could not be reached, or answered 5xx. */
    public static final class Unavailable extends SchemaRegistryException {
        public Unavailable(int status, String message, Throwable cause) {
            super(status, 50001, message, cause);
        }
    }

    /** The registry refused our credentials (401/403). */
    public static final class Unauthorized extends SchemaRegistryException {
        public Unauthorized(int status, String message) {
            super(status, status * 100 + 1, message, null);
        }
    }
}
