package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

class AnthropicContractIT extends ProviderContractIT {

    @Override
    String fixtureFile() {
        return "anthropic.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "anthropic", "network_config": {"base_url": "%s",
                  "extra_headers": {"X-Relay-Test": "contract"}}}""";
    }

    @Override
    String model() {
        return "claude-sonnet-4-5";
    }

    @Override
    String expectedUrl() {
        return "/v1/messages";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("x-api-key", KEY, "anthropic-version", "2023-06-01");
    }

    @Override
    void assertTextBody(JsonNode body) {
        assertThat(body.path("model").asText()).isEqualTo(model());
        assertThat(body.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(body.path("system").asText()).isEqualTo("You are terse.");
        assertThat(body.path("messages")).hasSize(1);
        JsonNode user = body.path("messages").get(0);
        assertThat(user.path("role").asText()).isEqualTo("user");
        assertThat(user.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(user.at("/content/0/text").asText()).isEqualTo("What is in this image?");
        assertThat(user.at("/content/1/type").asText()).isEqualTo("image");
        assertThat(user.at("/content/1/source/type").asText()).isEqualTo("base64");
        assertThat(user.at("/content/1/source/media_type").asText()).isEqualTo("image/png");
        assertThat(user.at("/content/1/source/data").asText()).isEqualTo(ContractRequests.IMAGE_DATA);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(body.path("stop_sequences").get(0).asText()).isEqualTo("END");
        assertThat(body.has("seed")).as("Anthropic has no seed").isFalse();
        assertThat(body.has("stop")).isFalse();
    }

    @Override
    void assertToolBody(JsonNode body) {
        assertThat(body.path("max_tokens").asInt()).as("required, defaulted").isEqualTo(4096);
        assertThat(body.path("system").asText()).isEqualTo("Use the tools.");
        JsonNode m = body.path("messages");
        assertThat(m).hasSize(3);
        assertThat(m.get(0).path("content").asText()).isEqualTo("Weather in Paris?");
        assertThat(m.get(1).path("role").asText()).isEqualTo("assistant");
        JsonNode use = m.get(1).path("content").get(0);
        assertThat(use.path("type").asText()).isEqualTo("tool_use");
        assertThat(use.path("id").asText()).isEqualTo("call_1");
        assertThat(use.path("name").asText()).isEqualTo("get_weather");
        assertThat(use.path("input").isObject()).as("input is an object").isTrue();
        assertThat(use.path("input").path("city").asText()).isEqualTo("Paris");
        assertThat(m.get(2).path("role").asText()).isEqualTo("user");
        JsonNode result = m.get(2).path("content").get(0);
        assertThat(result.path("type").asText()).isEqualTo("tool_result");
        assertThat(result.path("tool_use_id").asText()).isEqualTo("call_1");
        assertThat(result.path("content").asText()).isEqualTo("{\"temp_c\":21}");
        assertThat(m.get(2).path("content").get(1).path("text").asText()).isEqualTo("And in Rome?");
        JsonNode tool = body.path("tools").get(0);
        assertThat(tool.path("name").asText()).isEqualTo("get_weather");
        assertThat(tool.path("description").asText()).isEqualTo("Current weather");
        assertThat(tool.at("/input_schema/properties/city/type").asText()).isEqualTo("string");
        assertThat(body.path("tool_choice").path("type").asText()).isEqualTo("any");
    }

    @Override
    void assertJsonModeBody(JsonNode body) {
        assertThat(body.path("system").asText()).contains("JSON").contains("\"answer\"");
        assertThat(body.has("response_format")).isFalse();
        assertThat(body.at("/messages/0/content").asText()).isEqualTo("Capital of France, as JSON?");
    }
}
