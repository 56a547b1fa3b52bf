package dev.relay.processor.fault;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.config.ConfigException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One case per validation error: each names the bad path under plugins[0].config. */
class MockerValidationTest {

    private static final String P = "plugins[0].config.";
    private static final String R = P + "rules[0].";
    private static final String ERR = "{\"type\": \"error\", \"error\": {\"message\": \"boom\", \"status_code\": 500}}";

    /** A config with one rule whose fields are {@code ruleBody}, plus {@code extra} top-level mocker fields. */
    private static String rule(String ruleBody) {
        return "{\"rules\": [{\"name\": \"r\", " + ruleBody + "}]}";
    }

    private static String response(String responseJson) {
        return rule("\"responses\": [" + responseJson + "]");
    }

    static Stream<Arguments> invalidConfigs() {
        return Stream.of(
                Arguments.of("{\"rule\": []}", P + "rule: unknown field"),
                Arguments.of("{\"rules\": {}}", P + "rules: expected a list"),
                Arguments.of("{\"enabled\": \"yes\"}", P + "enabled: expected true or false"),
                Arguments.of("{\"rules\": [{\"responses\": [" + ERR + "]}]}", R + "name: is required"),
                Arguments.of(
                        "{\"rules\": [{\"name\": \"r\", \"responses\": [" + ERR + "]}, {\"name\": \"r\", "
                                + "\"responses\": [" + ERR + "]}]}",
                        P + "rules[1].name: duplicate rule name \"r\""),
                Arguments.of(rule("\"weight\": 1, \"responses\": [" + ERR + "]"), R + "weight: unknown field"),
                Arguments.of(
                        rule("\"priority\": 5000, \"responses\": [" + ERR + "]"),
                        R + "priority: must be between -1000 and 1000"),
                Arguments.of(
                        rule("\"probability\": 1.5, \"responses\": [" + ERR + "]"),
                        R + "probability: must be between 0.0 and 1.0, was 1.5"),
                Arguments.of(
                        rule("\"probability\": -0.1, \"responses\": [" + ERR + "]"),
                        R + "probability: must be between 0.0 and 1.0"),
                Arguments.of(
                        rule("\"probability\": \"half\", \"responses\": [" + ERR + "]"),
                        R + "probability: expected a number"),
                Arguments.of(
                        rule("\"conditions\": {\"provider\": [\"openai\"]}, \"responses\": [" + ERR + "]"),
                        R + "conditions.provider: unknown field"),
                Arguments.of(
                        rule("\"conditions\": {\"providers\": [\"opnai\"]}, \"responses\": [" + ERR + "]"),
                        R + "conditions.providers: unknown provider \"opnai\""),
                Arguments.of(
                        rule("\"conditions\": {\"providers\": \"openai\"}, \"responses\": [" + ERR + "]"),
                        R + "conditions.providers: expected a list"),
                Arguments.of(
                        rule("\"conditions\": {\"message_regex\": \"(unclosed\"}, \"responses\": [" + ERR + "]"),
                        R + "conditions.message_regex: invalid regular expression \"(unclosed\""),
                Arguments.of(
                        rule("\"conditions\": {\"request_size\": {\"min\": 10, \"max\": 5}}, \"responses\": [" + ERR
                                + "]"),
                        R + "conditions.request_size.max: must not be less than min"),
                Arguments.of(rule("\"responses\": []"), R + "responses: at least one response is required"),
                Arguments.of("{\"rules\": [{\"name\": \"r\"}]}", R + "responses: at least one response is required"),
                Arguments.of(
                        response("{\"type\": \"timeout\"}"),
                        R + "responses[0].type: unknown response type \"timeout\"; expected success or error"),
                Arguments.of(
                        response("{\"error\": {\"message\": \"x\", \"status_code\": 500}}"),
                        R + "responses[0].type: is required"),
                Arguments.of(
                        response("{\"type\": \"error\", \"weight\": -1, \"error\": {\"message\": \"x\", "
                                + "\"status_code\": 500}}"),
                        R + "responses[0].weight: must not be negative"),
                Arguments.of(
                        response("{\"type\": \"error\", \"retry\": true, \"error\": {\"message\": \"x\", "
                                + "\"status_code\": 500}}"),
                        R + "responses[0].retry: unknown field"),
                Arguments.of(
                        response("{\"type\": \"error\", \"allow_fallbacks\": \"no\", \"error\": {\"message\": "
                                + "\"x\", \"status_code\": 500}}"),
                        R + "responses[0].allow_fallbacks: expected true or false"),
                Arguments.of(
                        response("{\"type\": \"success\"}"),
                        R + "responses[0].content: is required for a success response"),
                Arguments.of(
                        response("{\"type\": \"success\", \"content\": {\"message\": \"x\"}, \"error\": "
                                + "{\"message\": \"x\"}}"),
                        R + "responses[0].error: a success response has no error"),
                Arguments.of(
                        response("{\"type\": \"success\", \"content\": {\"model\": \"m\"}}"),
                        R + "responses[0].content.message: either message or message_template is required"),
                Arguments.of(
                        response("{\"type\": \"success\", \"content\": {\"text\": \"hi\"}}"),
                        R + "responses[0].content.text: unknown field"),
                Arguments.of(
                        response("{\"type\": \"success\", \"content\": {\"message_template\": "
                                + "\"{{faker.name}}\"}}"),
                        R + "responses[0].content.message_template: faker variables"),
                Arguments.of(
                        response("{\"type\": \"success\", \"content\": {\"message\": \"x\", \"usage\": "
                                + "{\"prompt_tokens\": -1}}}"),
                        R + "responses[0].content.usage.prompt_tokens: must be between"),
                Arguments.of(
                        response("{\"type\": \"error\"}"), R + "responses[0].error: is required for an error response"),
                Arguments.of(
                        response("{\"type\": \"error\", \"content\": \"x\", \"error\": {\"message\": \"x\", "
                                + "\"status_code\": 500}}"),
                        R + "responses[0].content: an error response has no content"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"message\": \"x\"}}"),
                        R + "responses[0].error.status_code: is required"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"message\": \"x\", \"status_code\": 200}}"),
                        R + "responses[0].error.status_code: must be between 400 and 599, was 200"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"message\": \"x\", \"status_code\": "
                                + "\"429\"}}"),
                        R + "responses[0].error.status_code: expected a whole number"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"status_code\": 500}}"),
                        R + "responses[0].error.message: is required"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"message\": \"x\", \"status\": 500}}"),
                        R + "responses[0].error.status: unknown field"),
                Arguments.of(
                        response("{\"type\": \"error\", \"error\": {\"message\": \"x\", \"status_code\": 429, "
                                + "\"retry_after\": \"later\"}}"),
                        R + "responses[0].error.retry_after: expected a duration"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"normal\", \"min\": 1}, \"responses\": [" + ERR + "]"),
                        R + "latency.type: unknown latency type \"normal\""),
                Arguments.of(
                        rule("\"latency\": {\"min\": 1}, \"responses\": [" + ERR + "]"),
                        R + "latency.type: is required"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"fixed\"}, \"responses\": [" + ERR + "]"),
                        R + "latency.min: is required"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"fixed\", \"min\": -5}, \"responses\": [" + ERR + "]"),
                        R + "latency.min: must not be negative"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"fixed\", \"min\": \"soon\"}, \"responses\": [" + ERR + "]"),
                        R + "latency.min: expected a duration"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"uniform\", \"min\": \"1s\"}, \"responses\": [" + ERR + "]"),
                        R + "latency.max: is required for uniform latency"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"uniform\", \"min\": \"2s\", \"max\": \"1s\"}, "
                                + "\"responses\": [" + ERR + "]"),
                        R + "latency.max: must not be less than min"),
                Arguments.of(
                        rule("\"latency\": {\"type\": \"fixed\", \"min\": 1, \"jitter\": 2}, \"responses\": [" + ERR
                                + "]"),
                        R + "latency.jitter: unknown field"),
                Arguments.of(
                        "{\"global_latency\": {\"type\": \"uniform\", \"min\": 5, \"max\": 1}}",
                        P + "global_latency.max: must not be less than min"),
                Arguments.of(
                        "{\"default_behavior\": \"fail\"}", P + "default_behavior: unknown default_behavior \"fail\""));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidConfigs")
    void shouldRejectInvalidConfigNamingThePath(String mockerConfig, String expectedMessageStart) {
        assertThatThrownBy(() -> MockerConfigs.rules(mockerConfig))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(expectedMessageStart);
    }

    @Test
    void shouldValidateADisabledMockerToo() {
        assertThatThrownBy(() -> FaultRules.from(MockerConfigs.withPlugins(
                        "[{\"name\": \"mocker\", \"enabled\": false, \"config\": {\"rules\": [{\"name\": \"r\", "
                                + "\"probability\": 2, \"responses\": [" + ERR + "]}]}}]")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(R + "probability: must be between 0.0 and 1.0");
    }

    @Test
    void shouldRejectASecondMockerPlugin() {
        assertThatThrownBy(() -> FaultRules.from(MockerConfigs.withPlugins(
                        "[{\"name\": \"mocker\", \"config\": {}}, {\"name\": \"mocker\", \"config\": {}}]")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("plugins[1].config: a second \"mocker\" plugin");
    }
}
