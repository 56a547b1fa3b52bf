package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

/** Body checks shared by the adapters that send the OpenAI shape (openai, azure, openrouter, compat). */
abstract class OpenAiShapedContractIT extends ProviderContractIT {

    static final OpenAiSchema SCHEMA = new OpenAiSchema();

    @Override
    void assertTextBody(JsonNode body) {
        SCHEMA.assertValid(body);
        assertThat(body.path("model").asText()).isEqualTo(model());
        assertThat(body.path("messages"))
                .isEqualTo(ContractRequests.parse(ContractRequests.TEXT).get("messages"));
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(body.path("stop").get(0).asText()).isEqualTo("END");
        assertThat(body.path("seed").asInt()).isEqualTo(42);
        assertThat(body.has("stream")).isFalse();
    }

    @Override
    void assertToolBody(JsonNode body) {
        SCHEMA.assertValid(body);
        assertThat(body.path("tools").get(0).path("function").path("name").asText())
                .isEqualTo("get_weather");
        assertThat(body.path("tool_choice").asText()).isEqualTo("required");
        JsonNode call = body.path("messages").get(2).path("tool_calls").get(0);
        assertThat(call.path("function").path("arguments").isTextual()).isTrue();
        assertThat(body.path("messages").get(3).path("tool_call_id").asText()).isEqualTo("call_1");
    }

    @Override
    void assertJsonModeBody(JsonNode body) {
        SCHEMA.assertValid(body);
        assertThat(body.path("response_format").path("type").asText()).isEqualTo("json_schema");
        assertThat(body.path("response_format")
                        .path("json_schema")
                        .path("schema")
                        .path("required")
                        .get(0)
                        .asText())
                .isEqualTo("answer");
    }
}
