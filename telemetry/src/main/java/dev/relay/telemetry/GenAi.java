package dev.relay.telemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * Span attribute keys: OpenTelemetry's GenAI semantic conventions for a model call, and Relay's own ({@code relay.*})
 * for what the conventions do not cover (hop, key name, failure class, decision). Never an API key value.
 */
public final class GenAi {

    private GenAi() {}

    public static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    /** The provider as configured in Relay ({@code openai}, {@code anthropic}, ...). */
    public static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    /** The older name of {@link #PROVIDER_NAME}, still read by many backends. */
    public static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");

    public static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    public static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    public static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    public static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    public static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    public static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("relay.job_id");
    public static final AttributeKey<Long> HOP = AttributeKey.longKey("relay.hop");
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("relay.attempt");
    /** The configured key's name ({@code keys[].name}), never its value. */
    public static final AttributeKey<String> KEY_NAME = AttributeKey.stringKey("relay.key_name");

    public static final AttributeKey<String> OUTCOME_CLASS = AttributeKey.stringKey("relay.outcome_class");
    public static final AttributeKey<String> DECISION = AttributeKey.stringKey("relay.decision");
}
