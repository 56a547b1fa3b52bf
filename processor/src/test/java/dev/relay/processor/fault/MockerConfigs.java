package dev.relay.processor.fault;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import java.util.Optional;

/** Builds configs with an openai, an anthropic and a mock provider plus the given mocker plugin config. */
final class MockerConfigs {

    private MockerConfigs() {}

    static RelayConfig withMocker(String mockerConfigJson) {
        return withPlugins("[{\"name\": \"mocker\", \"enabled\": true, \"config\": " + mockerConfigJson + "}]");
    }

    static RelayConfig withPlugins(String pluginsJson) {
        String json = """
                {"providers": {
                   "openai": {"keys": [{"name": "k1", "value": "sk-test"}]},
                   "anthropic": {"keys": [{"name": "a1", "value": "sk-ant"}]},
                   "mock": {}},
                 "plugins": %s}""".formatted(pluginsJson);
        return new ConfigLoader(name -> Optional.empty()).parse(json, "test");
    }

    static FaultRules rules(String mockerConfigJson) {
        return FaultRules.from(withMocker(mockerConfigJson));
    }
}
