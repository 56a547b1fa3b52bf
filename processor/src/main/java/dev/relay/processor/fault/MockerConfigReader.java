package dev.relay.processor.fault;

import dev.relay.config.ConfigException;
import dev.relay.config.Node;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates the mocker plugin's {@code config} with Bifrost's field names and defaults
 * ({@code plugins/mocker/main.go}): every problem is a {@link ConfigException} naming its path, e.g.
 * {@code plugins[0].config.rules[1].probability: must be between 0.0 and 1.0, was 1.5}. Relay's differences are
 * documented in {@code docs/policy.md}.
 */
final class MockerConfigReader {

    private static final Logger log = LoggerFactory.getLogger(MockerConfigReader.class);

    private static final Set<String> CONFIG_FIELDS = Set.of("enabled", "rules", "global_latency", "default_behavior");
    private static final Set<String> RULE_FIELDS =
            Set.of("name", "enabled", "priority", "probability", "conditions", "responses", "latency");
    private static final Set<String> CONDITION_FIELDS = Set.of("providers", "models", "message_regex", "request_size");
    private static final Set<String> RESPONSE_FIELDS = Set.of("type", "weight", "content", "error", "allow_fallbacks");
    private static final Set<String> CONTENT_FIELDS =
            Set.of("message", "message_template", "model", "usage", "finish_reason", "custom_fields");
    private static final Set<String> ERROR_FIELDS = Set.of("message", "type", "code", "status_code", "retry_after");
    private static final Set<String> LATENCY_FIELDS = Set.of("type", "min", "max");
    private static final Set<String> USAGE_FIELDS = Set.of("prompt_tokens", "completion_tokens", "total_tokens");

    static final String DEFAULT_RULE_MESSAGE = "This is a mock response from the Mocker plugin";
    private static final MockResponse.Usage DEFAULT_USAGE = new MockResponse.Usage(10, 20, 30);

    private MockerConfigReader() {}

    static FaultRules read(Node config, Set<String> providers) {
        checkFields(config, CONFIG_FIELDS);
        boolean enabled = config.get("enabled").bool(true);
        Optional<LatencySpec> global = latency(config.get("global_latency"));
        List<MockRule> rules = new ArrayList<>();
        Map<String, String> names = new LinkedHashMap<>();
        for (Node r : config.get("rules").list()) {
            MockRule rule = rule(r, global, providers);
            String earlier = names.putIfAbsent(rule.name(), r.path());
            if (earlier != null) {
                throw r.get("name").error("duplicate rule name \"" + rule.name() + "\" (also " + earlier + ")");
            }
            rules.add(rule);
        }
        Optional<MockRule> fallback = defaultBehavior(config.get("default_behavior"), global);
        if (!enabled) {
            return FaultRules.none();
        }
        if (rules.isEmpty()) {
            // Bifrost: an enabled mocker without rules answers every request with a canned success.
            log.warn("{}: mocker enabled without rules: every call gets the default mock response", config.path());
            rules.add(new MockRule(
                    "default-mock",
                    true,
                    1,
                    1.0,
                    Set.of(),
                    Set.of(),
                    Optional.empty(),
                    Optional.empty(),
                    List.of(success(DEFAULT_RULE_MESSAGE)),
                    global.orElse(LatencySpec.NONE)));
        }
        return new FaultRules(rules, fallback);
    }

    private static MockRule rule(Node n, Optional<LatencySpec> global, Set<String> knownProviders) {
        checkFields(n, RULE_FIELDS);
        String name = n.get("name").requiredString();
        boolean enabled = n.get("enabled").bool(true);
        int priority = n.get("priority").integer(0, -1000, 1000);
        double probability = n.get("probability").number(1.0, 0.0, 1.0);
        Node c = n.get("conditions");
        checkFields(c, CONDITION_FIELDS);
        Set<String> providers = names(c.get("providers"));
        for (String p : providers) {
            if (!knownProviders.contains(p)) {
                throw c.get("providers")
                        .error("unknown provider \"" + p + "\"; configured providers are "
                                + new TreeSet<>(knownProviders));
            }
        }
        Set<String> models = names(c.get("models"));
        Optional<Pattern> regex = regex(c.get("message_regex"));
        Optional<MockRule.SizeRange> size = sizeRange(c.get("request_size"));
        Optional<LatencySpec> latency = latency(n.get("latency")).or(() -> global);
        List<MockResponse> responses = new ArrayList<>();
        for (Node r : n.get("responses").list()) {
            responses.add(response(r));
        }
        if (responses.isEmpty() && latency.isEmpty()) {
            throw n.get("responses").error("at least one response is required (or a latency, for a latency-only rule)");
        }
        return new MockRule(
                name,
                enabled,
                priority,
                probability,
                providers,
                models,
                regex,
                size,
                List.copyOf(responses),
                latency.orElse(LatencySpec.NONE));
    }

    private static Set<String> names(Node list) {
        Set<String> out = new LinkedHashSet<>();
        for (Node item : list.list()) {
            out.add(item.requiredString());
        }
        return Set.copyOf(out);
    }

    private static Optional<Pattern> regex(Node n) {
        if (!n.present()) {
            return Optional.empty();
        }
        String raw = n.string(null);
        try {
            return Optional.of(Pattern.compile(raw));
        } catch (PatternSyntaxException e) {
            throw n.error("invalid regular expression \"" + raw + "\": " + e.getDescription() + " near index "
                    + e.getIndex());
        }
    }

    private static Optional<MockRule.SizeRange> sizeRange(Node n) {
        if (!n.present()) {
            return Optional.empty();
        }
        checkFields(n, Set.of("min", "max"));
        int min = n.get("min").integer(0, 0, Integer.MAX_VALUE);
        int max = n.get("max").integer(Integer.MAX_VALUE, 0, Integer.MAX_VALUE);
        if (max < min) {
            throw n.get("max").error("must not be less than min (" + min + "), was " + max);
        }
        return Optional.of(new MockRule.SizeRange(min, max));
    }

    /** Bifrost writes Go durations: bare numbers are nanoseconds; Relay also takes "250ms", "2s". */
    private static Optional<LatencySpec> latency(Node n) {
        if (!n.present()) {
            return Optional.empty();
        }
        checkFields(n, LATENCY_FIELDS);
        String type = n.get("type").requiredString();
        LatencySpec.Type t = switch (type) {
            case "fixed" -> LatencySpec.Type.FIXED;
            case "uniform" -> LatencySpec.Type.UNIFORM;
            default -> throw n.get("type").error("unknown latency type \"" + type + "\"; expected fixed or uniform");
        };
        if (!n.get("min").present()) {
            throw n.get("min").error("is required");
        }
        Duration min = n.get("min").duration(Duration.ZERO, ChronoUnit.NANOS);
        Duration max = min;
        if (t == LatencySpec.Type.UNIFORM) {
            if (!n.get("max").present()) {
                throw n.get("max").error("is required for uniform latency");
            }
            max = n.get("max").duration(Duration.ZERO, ChronoUnit.NANOS);
            if (max.compareTo(min) < 0) {
                throw n.get("max").error("must not be less than min (" + human(min) + "), was " + human(max));
            }
        }
        return Optional.of(new LatencySpec(t, min, max));
    }

    private static String human(Duration d) {
        if (d.toNanos() % 1_000_000 != 0) {
            return d.toNanos() + "ns";
        }
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static MockResponse response(Node n) {
        checkFields(n, RESPONSE_FIELDS);
        String type = n.get("type").requiredString();
        double weight = n.get("weight").number(1.0, -Double.MAX_VALUE, Double.MAX_VALUE);
        if (weight < 0) {
            throw n.get("weight").error("must not be negative, was " + weight);
        }
        weight = weight == 0 ? 1.0 : weight; // Bifrost: an unset (0) weight is the default 1
        boolean allowFallbacks = n.get("allow_fallbacks").bool(true);
        return switch (type) {
            case "success" -> {
                if (n.get("error").present()) {
                    throw n.get("error").error("a success response has no error; use type \"error\"");
                }
                yield new MockResponse(weight, content(n.get("content")), null, allowFallbacks);
            }
            case "error" -> {
                if (n.get("content").present()) {
                    throw n.get("content").error("an error response has no content; use type \"success\"");
                }
                yield new MockResponse(weight, null, error(n.get("error")), allowFallbacks);
            }
            default -> throw n.get("type").error("unknown response type \"" + type + "\"; expected success or error");
        };
    }

    private static MockResponse.SuccessContent content(Node n) {
        if (!n.present()) {
            throw n.error("is required for a success response");
        }
        if (n.json().isTextual()) {
            return new MockResponse.SuccessContent(n.requiredString(), null, null, DEFAULT_USAGE, "stop");
        }
        checkFields(n, CONTENT_FIELDS);
        String message = n.get("message").string(null);
        String template = n.get("message_template").string(null);
        if ((message == null || message.isEmpty()) && (template == null || template.isEmpty())) {
            throw n.get("message").error("either message or message_template is required");
        }
        if (template != null && template.contains("{{faker.")) {
            throw n.get("message_template").error("faker variables are not supported; use {{provider}} and {{model}}");
        }
        return new MockResponse.SuccessContent(
                message,
                template == null || template.isEmpty() ? null : template,
                n.get("model").string(null),
                usage(n.get("usage")),
                n.get("finish_reason").string("stop"));
    }

    private static MockResponse.Usage usage(Node n) {
        if (!n.present()) {
            return DEFAULT_USAGE;
        }
        checkFields(n, USAGE_FIELDS);
        int prompt = n.get("prompt_tokens").integer(10, 0, Integer.MAX_VALUE);
        int completion = n.get("completion_tokens").integer(20, 0, Integer.MAX_VALUE);
        int total = n.get("total_tokens").integer(prompt + completion, 0, Integer.MAX_VALUE);
        return new MockResponse.Usage(prompt, completion, total);
    }

    private static MockResponse.ErrorContent error(Node n) {
        if (!n.present()) {
            throw n.error("is required for an error response");
        }
        checkFields(n, ERROR_FIELDS);
        String message = n.get("message").requiredString();
        Node status = n.get("status_code");
        if (!status.present()) {
            // Relay classifies failures by status (Classifier); Bifrost may leave it out, Relay cannot.
            throw status.error("is required: Relay classifies the failure by its HTTP status (e.g. 429, 500, 503)");
        }
        int statusCode = status.integer(0, 400, 599);
        Optional<Duration> retryAfter = Optional.ofNullable(n.get("retry_after").duration(null, ChronoUnit.SECONDS));
        return new MockResponse.ErrorContent(
                message, n.get("type").string(null), code(n.get("code")), statusCode, retryAfter);
    }

    /** Bifrost's code is a string ("429"); a bare number is accepted too. */
    private static String code(Node n) {
        if (n.present() && n.json().isNumber()) {
            return n.json().asText();
        }
        return n.string(null);
    }

    private static Optional<MockRule> defaultBehavior(Node n, Optional<LatencySpec> global) {
        String behavior = n.string("passthrough");
        LatencySpec latency = global.orElse(LatencySpec.NONE);
        return switch (behavior) {
            case "passthrough" -> Optional.empty();
            case "success" ->
                Optional.of(new MockRule(
                        "default-behavior",
                        true,
                        0,
                        1.0,
                        Set.of(),
                        Set.of(),
                        Optional.empty(),
                        Optional.empty(),
                        List.of(new MockResponse(
                                1,
                                new MockResponse.SuccessContent(
                                        "Mock plugin default response",
                                        null,
                                        null,
                                        new MockResponse.Usage(5, 10, 15),
                                        "stop"),
                                null,
                                true)),
                        latency));
            case "error" ->
                Optional.of(new MockRule(
                        "default-behavior",
                        true,
                        0,
                        1.0,
                        Set.of(),
                        Set.of(),
                        Optional.empty(),
                        Optional.empty(),
                        List.of(new MockResponse(
                                1,
                                null,
                                new MockResponse.ErrorContent(
                                        "Mock plugin default error", "api_error", null, 500, Optional.empty()),
                                true)),
                        latency));
            default ->
                throw n.error("unknown default_behavior \"" + behavior + "\"; expected passthrough, success or error");
        };
    }

    private static MockResponse success(String message) {
        return new MockResponse(
                1, new MockResponse.SuccessContent(message, null, null, DEFAULT_USAGE, "stop"), null, true);
    }

    private static void checkFields(Node n, Set<String> allowed) {
        for (Map.Entry<String, Node> e : n.fields().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw e.getValue().error("unknown field; expected one of " + new TreeSet<>(allowed));
            }
        }
    }
}
