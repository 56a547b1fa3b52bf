package dev.relay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static final String FAKE_KEY = "test-key-value-not-real-0123456789";

    private final ConfigLoader loader = new ConfigLoader(name -> Optional.ofNullable(
            Map.of("OPENAI_API_KEY", FAKE_KEY, "HOOK_SECRET", "whsec_dGVzdA==").get(name)));

    @Test
    void shouldReadBifrostShapedProvidersWithEnvKeys() {
        RelayConfig c = loader.parse("""
                {"providers": {"openai": {
                   "keys": [{"name": "main", "value": "env.OPENAI_API_KEY", "models": ["gpt-4o-mini"], "weight": 2}],
                   "network_config": {"base_url": "http://127.0.0.1:1234", "default_request_timeout_in_seconds": 12,
                                      "max_retries": 3, "retry_backoff_initial": 100, "retry_backoff_max": "1s",
                                      "extra_headers": {"x-team": "a"}},
                   "concurrency_and_buffer_size": {"concurrency": 7, "buffer_size": 70}}}}
                """, "test");
        ProviderConfig p = c.provider("openai").orElseThrow();
        assertThat(p.type()).isEqualTo("openai");
        assertThat(p.keys()).singleElement().satisfies(k -> {
            assertThat(k.name()).isEqualTo("main");
            assertThat(k.value()).hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo(FAKE_KEY));
            assertThat(k.weight()).isEqualTo(2.0);
            assertThat(k.allows("gpt-4o-mini")).isTrue();
            assertThat(k.allows("gpt-4o")).isFalse();
        });
        assertThat(p.network().requestTimeout()).isEqualTo(Duration.ofSeconds(12));
        assertThat(p.network().retryBackoffInitial()).isEqualTo(Duration.ofMillis(100));
        assertThat(p.network().retryBackoffMax()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.network().extraHeaders()).containsEntry("x-team", "a");
        assertThat(p.concurrency()).isEqualTo(7);
        assertThat(p.bufferSize()).isEqualTo(70);
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void shouldWarnAndNotFailWhenKeyVariableIsUnset() {
        RelayConfig c = loader.parse("""
                {"providers": {"anthropic": {"keys": [{"name": "a", "value": "env.ANTHROPIC_API_KEY"}]}}}
                """, "test");
        assertThat(c.provider("anthropic").orElseThrow().keys().get(0).value()).isEmpty();
        assertThat(c.warnings())
                .containsExactly(
                        "providers.anthropic.keys[0].value: env var ANTHROPIC_API_KEY is not set; calls with this key will fail as AUTH");
    }

    @Test
    void shouldNeverPrintSecretValues() {
        RelayConfig c = loader.parse("""
                {"providers": {"openai": {"keys": [{"name": "main", "value": "env.OPENAI_API_KEY"}]}},
                 "webhooks": {"secret": "env.HOOK_SECRET"}}
                """, "test");
        assertThat(c.toString())
                .doesNotContain(FAKE_KEY)
                .doesNotContain("whsec_dGVzdA==")
                .contains("env.OPENAI_API_KEY");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"providers\": {\"openai\": {\"keys\": [{\"name\": \"a\", \"value\": \"env.OPENAI_API_KEY\", \"weight\": \"high\"}]}}} | providers.openai.keys[0].weight: expected a number",
                "{\"providers\": {\"groq\": {\"keys\": []}}} | providers.groq.network_config.base_url: is required for an openai-compatible provider",
                "{\"providers\": {\"x\": {\"type\": \"nope\"}}} | providers.x.type: unknown provider type \"nope\"",
                "{\"providers\": {\"openai\": {\"network_config\": {\"base_url\": \"ftp://x\"}}}} | providers.openai.network_config.base_url: expected an http(s) URL",
                "{\"providers\": {\"openai\": {\"network_config\": {\"retry_backoff_initial\": \"2s\", \"retry_backoff_max\": \"1s\"}}}} | providers.openai.network_config.retry_backoff_max: must not be less than",
                "{\"providers\": {\"openai\": {\"network_config\": {\"default_request_timeout_in_seconds\": \"soon\"}}}} | providers.openai.network_config.default_request_timeout_in_seconds: expected a duration",
                "{\"providers\": {\"openai\": {\"concurrency_and_buffer_size\": {\"concurrency\": 0}}}} | providers.openai.concurrency_and_buffer_size.concurrency: must be between 1 and",
                "{\"providers\": {\"openai\": {\"keys\": {}}}} | providers.openai.keys: expected a list",
                "{\"kafka\": {\"processing_guarantee\": \"exactly_once\"}} | kafka.processing_guarantee: expected exactly_once_v2 or at_least_once",
                "{\"kafka\": {\"max_fallbacks\": 99}} | kafka.max_fallbacks: must be between 0 and 16",
                "{\"ingress\": {\"port\": \"80\"}} | ingress.port: expected a whole number",
                "{\"plugins\": [{\"enabled\": true}]} | plugins[0].name: is required",
                "{\"providerz\": {}} | providerz: unknown section",
                "{\"circuit_breaker\": {\"scope\": \"key\"}} | circuit_breaker.scope: expected \"model\" or \"provider\"",
            })
    void shouldNameThePathOfABadValue(String json, String expected) {
        assertThatThrownBy(() -> loader.parse(json, "test"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(expected);
    }

    @Test
    void shouldKeepOneCircuitBreakerPerModelByDefaultAndPerProviderWhenAsked() {
        assertThat(loader.parse("{}", "test").circuitBreaker().scope()).isEqualTo(CircuitBreakerSettings.Scope.MODEL);
        assertThat(loader.parse("{\"circuit_breaker\": {\"scope\": \"provider\"}}", "test")
                        .circuitBreaker()
                        .scope())
                .isEqualTo(CircuitBreakerSettings.Scope.PROVIDER);
    }

    @Test
    void shouldReportJsonSyntaxErrorsWithLine() {
        assertThatThrownBy(() -> loader.parse("{\n \"providers\": {,}\n}", "cfg.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cfg.json: not valid JSON at line 2");
    }

    @Test
    void shouldLoadTheShippedExampleConfig() {
        RelayConfig c = ConfigLoader.fromSystemEnv().load(Path.of("..", "config.example.json"));
        assertThat(c.providers()).containsKeys("openai", "anthropic", "gemini", "mock");
        assertThat(c.provider("mock").orElseThrow().type()).isEqualTo("mock");
        assertThat(c.kafka().processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(c.plugin("mocker")).isPresent();
    }

    @Test
    void shouldTurnFastFallbackOnByDefaultAndLetItBeTurnedOff() {
        assertThat(loader.parse("{}", "a.json").kafka().fastFallback()).isTrue();
        assertThat(loader.parse("{\"kafka\": {\"fast_fallback\": false}}", "b.json")
                        .kafka()
                        .fastFallback())
                .isFalse();
        assertThatThrownBy(() -> loader.parse("{\"kafka\": {\"fast_fallback\": \"yes\"}}", "c.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("fast_fallback");
    }

    @Test
    void shouldReportEveryKeyAskedForButNotTheFilesOwnNames() {
        java.util.Set<String> reads = new java.util.TreeSet<>();
        new ConfigLoader(name -> Optional.empty(), reads::add).parse("""
                {"providers": {"openai": {"keys": [{"value": "literal"}],
                   "network_config": {"extra_headers": {"X-Title": "relay"}}}},
                 "kafka": {"properties": {"linger.ms": "5"}}}
                """, "r.json");
        // absent keys too: the readers ask for them to take their defaults
        assertThat(reads)
                .contains(
                        "ingress.idempotency_window",
                        "webhooks.backoff_max",
                        "kafka.commit_interval",
                        "providers.openai.keys[0].weight",
                        "providers.openai.network_config.extra_headers",
                        "metrics.port");
        // names the file chose (providers, headers, client properties) are data, not keys a reader asks for
        assertThat(reads)
                .doesNotContain(
                        "providers.openai",
                        "kafka.properties.linger.ms",
                        "providers.openai.network_config.extra_headers.X-Title");
    }
}
