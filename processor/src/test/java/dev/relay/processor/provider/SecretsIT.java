package dev.relay.processor.provider;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.relay.config.ConfigLoader;
import dev.relay.config.ProviderConfig;
import dev.relay.config.Secret;
import dev.relay.processor.attempt.AttemptOutcome;
import dev.relay.processor.provider.factory.ProviderClients;
import dev.relay.processor.provider.http.WireRequest;
import dev.relay.testkit.provider.FakeProvider;
import dev.relay.testkit.provider.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Runs successes and failures through every adapter with a recognisable fake key (one a provider echoes back in its
 * error message) and checks that the key appears in no log line, exception message, outcome or request description.
 */
class SecretsIT {

    /** Not shaped like any provider key, so only exact-value redaction can hide it. */
    static final String KEY = "relay-canary-7f3a9c51e2d8b4a6";

    /** An answer that comes after the call's deadline (1 s): the call times out. */
    static final Reply SLOW = Reply.json(200, "").after(Duration.ofSeconds(3));

    static final List<String> TYPES =
            List.of("openai", "anthropic", "gemini", "azure", "openrouter", "openai-compatible", "mock");

    FakeProvider server;
    ListAppender<ILoggingEvent> logs;
    Logger root;
    Logger relay;
    Level relayLevel;

    @BeforeEach
    void start() {
        server = FakeProvider.start();
        root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        relay = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("dev.relay.processor.provider");
        relayLevel = relay.getLevel();
        relay.setLevel(Level.TRACE);
    }

    @AfterEach
    void stop() {
        root.detachAppender(logs);
        relay.setLevel(relayLevel);
        server.close();
    }

    @Test
    void shouldNeverExposeTheKeyWhateverTheOutcome() throws Exception {
        List<String> seen = new ArrayList<>();
        int requestsWithKey = 0;
        String echo = "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"code\":\"invalid_api_key\","
                + "\"message\":\"Incorrect API key provided: " + KEY + ". Header was Bearer " + KEY + "\"}}";
        List<Reply> answers = List.of(
                Reply.json(401, echo),
                Reply.json(400, echo),
                Reply.json(500, "upstream said: " + KEY).header("Content-Type", "text/plain"),
                Reply.json(200, "{\"cut\": \"" + KEY),
                Reply.reset(),
                Reply.cut(),
                SLOW);
        for (String type : TYPES) {
            String extra = type.equals("azure") ? ", \"keys\": [{\"name\": \"k1\", \"value\": \"x\"}]" : "";
            String json = "{\"providers\": {\"p\": {\"type\": \"" + type + "\", \"network_config\": {\"base_url\": \""
                    + server.baseUrl() + "\"}" + extra + "}}}";
            ProviderConfig config = new ConfigLoader(n -> Optional.empty())
                    .parse(json, "test")
                    .providers()
                    .get("p");
            try (ProviderClient client = ProviderClients.create(config)) {
                for (Reply answer : answers) {
                    server.clearRequests();
                    server.reply(answer);
                    ChatCall call = new ChatCall(
                            "job-s",
                            "model-x",
                            ContractRequests.parse(ContractRequests.TOOL),
                            Optional.of(Secret.literal(KEY)),
                            "k1",
                            // only the slow answer runs out of time; every other call has time to spare, so a
                            // loaded machine does not make one end before its request was sent
                            Instant.now().plusMillis(answer == SLOW ? 1000 : 10_000));
                    seen.add(call.toString());
                    try {
                        AttemptOutcome o = client.call(call).get(10, TimeUnit.SECONDS);
                        seen.add(o.toString());
                        if (o instanceof AttemptOutcome.Failure f) {
                            seen.add(f.message());
                        }
                    } catch (ExecutionException e) {
                        seen.add(String.valueOf(e.getMessage()));
                        seen.add(String.valueOf(e.getCause()));
                    }
                    requestsWithKey += (int) server.requests().stream()
                            .filter(r -> r.headers().values().stream()
                                    .anyMatch(values -> values.stream().anyMatch(v -> v.contains(KEY))))
                            .count();
                    if (!type.equals("mock")) {
                        WireRequest wire = ProviderClients.dialect(config).toWire(call, KEY);
                        seen.add(wire.toString());
                    }
                }
            }
        }
        for (ILoggingEvent e : logs.list) {
            seen.add(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                seen.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
        }
        assertThat(logs.list).as("the adapters logged their outcomes").isNotEmpty();
        assertThat(seen).hasSizeGreaterThan(TYPES.size() * 7 * 2);
        assertThat(seen).allSatisfy(text -> assertThat(text).doesNotContain(KEY));
        // the wire itself did carry the key: the redaction is not an accident of never sending it
        assertThat(requestsWithKey).isEqualTo((TYPES.size() - 1) * answers.size());
    }
}
