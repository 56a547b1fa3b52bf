package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

class GeminiContractIT extends ProviderContractIT {

    @Override
    String fixtureFile() {
        return "gemini.json";
    }

    @Override
    String providerJson() {
        return """
                {"type": "gemini", "network_config": {"base_url": "%s",
                  "extra_headers": {"X-Relay-Test": "contract"}}}""";
    }

    @Override
    String model() {
        return "gemini-2.0-flash";
    }

    @Override
    String expectedUrl() {
        return "/v1beta/models/gemini-2.0-flash:generateContent";
    }

    @Override
    Map<String, String> expectedHeaders() {
        return Map.of("x-goog-api-key", KEY);
    }

    @Override
    void assertTextBody(JsonNode body) {
        assertThat(body.has("model")).as("the model is in the path").isFalse();
        assertThat(body.at("/systemInstruction/parts/0/text").asText()).isEqualTo("You are terse.");
        assertThat(body.path("contents")).hasSize(1);
        JsonNode user = body.path("contents").get(0);
        assertThat(user.path("role").asText()).isEqualTo("user");
        assertThat(user.at("/parts/0/text").asText()).isEqualTo("What is in this image?");
        assertThat(user.at("/parts/1/inlineData/mimeType").asText()).isEqualTo("image/png");
        assertThat(user.at("/parts/1/inlineData/data").asText()).isEqualTo(ContractRequests.IMAGE_DATA);
        JsonNode gen = body.path("generationConfig");
        assertThat(gen.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(gen.path("topP").asDouble()).isEqualTo(0.9);
        assertThat(gen.path("maxOutputTokens").asInt()).isEqualTo(256);
        assertThat(gen.path("stopSequences").get(0).asText()).isEqualTo("END");
        assertThat(gen.path("seed").asInt()).isEqualTo(42);
    }

    @Override
    void assertToolBody(JsonNode body) {
        assertThat(body.at("/systemInstruction/parts/0/text").asText()).isEqualTo("Use the tools.");
        JsonNode c = body.path("contents");
        assertThat(c).hasSize(3);
        assertThat(c.get(1).path("role").asText()).isEqualTo("model");
        JsonNode call = c.get(1).at("/parts/0/functionCall");
        assertThat(call.path("name").asText()).isEqualTo("get_weather");
        assertThat(call.path("args").isObject()).as("args is an object").isTrue();
        assertThat(call.path("args").path("city").asText()).isEqualTo("Paris");
        assertThat(c.get(2).path("role").asText()).isEqualTo("user");
        JsonNode response = c.get(2).at("/parts/0/functionResponse");
        assertThat(response.path("name").asText())
                .as("name found from the tool_call_id")
                .isEqualTo("get_weather");
        assertThat(response.at("/response/temp_c").asInt()).isEqualTo(21);
        assertThat(c.get(2).at("/parts/1/text").asText()).isEqualTo("And in Rome?");
        JsonNode decl = body.at("/tools/0/functionDeclarations/0");
        assertThat(decl.path("name").asText()).isEqualTo("get_weather");
        assertThat(decl.at("/parameters/properties/city/type").asText()).isEqualTo("string");
        assertThat(decl.path("parameters").has("additionalProperties")).isFalse();
        assertThat(body.at("/toolConfig/functionCallingConfig/mode").asText()).isEqualTo("ANY");
    }

    @Override
    void assertJsonModeBody(JsonNode body) {
        JsonNode gen = body.path("generationConfig");
        assertThat(gen.path("responseMimeType").asText()).isEqualTo("application/json");
        assertThat(gen.at("/responseSchema/properties/answer/type").asText()).isEqualTo("string");
        assertThat(gen.path("responseSchema").has("additionalProperties")).isFalse();
    }
}
