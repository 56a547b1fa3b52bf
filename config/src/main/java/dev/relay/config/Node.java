package dev.relay.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON value with its path in the config file, so every typed read names the path when it fails
 * ({@code providers.openai.keys[0].weight: expected a number, got "high"}). {@code reads} hears the path of every key
 * a reader asks for, present or not: docs/configuration.md is tested against it.
 */
public record Node(JsonNode json, String path, Env env, Reads reads) {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

    /** How {@code env.VAR} values are resolved (System.getenv in production, a map in tests). */
    @FunctionalInterface
    public interface Env {
        Optional<String> get(String name);
    }

    /** Told the path of each key a reader asks for with {@link #get}, e.g. {@code providers.openai.keys[0].weight}. */
    @FunctionalInterface
    public interface Reads {
        Reads NONE = path -> {};

        void read(String path);
    }

    public Node(JsonNode json, String path, Env env) {
        this(json, path, env, Reads.NONE);
    }

    public static Node root(JsonNode json, Env env) {
        return root(json, env, Reads.NONE);
    }

    public static Node root(JsonNode json, Env env, Reads reads) {
        return new Node(json, "", env, reads);
    }

    public Node get(String field) {
        JsonNode child = json == null ? MissingNode.getInstance() : json.path(field);
        String childPath = path.isEmpty() ? field : path + "." + field;
        reads.read(childPath);
        return new Node(child, childPath, env, reads);
    }

    public boolean present() {
        return json != null && !json.isMissingNode() && !json.isNull();
    }

    public ConfigException error(String problem) {
        return new ConfigException(path.isEmpty() ? "(root)" : path, problem);
    }

    public String string(String dflt) {
        if (!present()) {
            return dflt;
        }
        if (!json.isTextual()) {
            throw error("expected a string, got " + json);
        }
        return json.asText();
    }

    public String requiredString() {
        if (!present()) {
            throw error("is required");
        }
        String s = string(null);
        if (s.isBlank()) {
            throw error("must not be empty");
        }
        return s;
    }

    public int integer(int dflt, int min, int max) {
        if (!present()) {
            return dflt;
        }
        if (!json.canConvertToInt() || !json.isIntegralNumber()) {
            throw error("expected a whole number, got " + json);
        }
        int v = json.asInt();
        if (v < min || v > max) {
            throw error("must be between " + min + " and " + max + ", was " + v);
        }
        return v;
    }

    public double number(double dflt, double min, double max) {
        if (!present()) {
            return dflt;
        }
        if (!json.isNumber()) {
            throw error("expected a number, got " + json);
        }
        double v = json.asDouble();
        if (v < min || v > max) {
            throw error("must be between " + min + " and " + max + ", was " + v);
        }
        return v;
    }

    public boolean bool(boolean dflt) {
        if (!present()) {
            return dflt;
        }
        if (!json.isBoolean()) {
            throw error("expected true or false, got " + json);
        }
        return json.asBoolean();
    }

    /**
     * A duration: a string such as {@code "500ms"}, {@code "2s"}, {@code "1m"}, or a bare number in {@code bareUnit}
     * (Bifrost writes timeouts in seconds and backoffs in milliseconds).
     */
    public Duration duration(Duration dflt, java.time.temporal.ChronoUnit bareUnit) {
        if (!present()) {
            return dflt;
        }
        if (json.isNumber()) {
            if (json.asDouble() < 0) {
                throw error("must not be negative, was " + json);
            }
            return Duration.of(json.asLong(), bareUnit);
        }
        if (!json.isTextual()) {
            throw error("expected a duration such as \"500ms\" or \"2s\", got " + json);
        }
        Matcher m = DURATION.matcher(json.asText().trim());
        if (!m.matches()) {
            throw error("expected a duration such as \"500ms\" or \"2s\", got \"" + json.asText() + "\"");
        }
        double n = Double.parseDouble(m.group(1));
        long millis = (long)
                switch (m.group(2)) {
                    case "ms" -> n;
                    case "s" -> n * 1_000;
                    case "m" -> n * 60_000;
                    default -> n * 3_600_000;
                };
        return Duration.ofMillis(millis);
    }

    /**
     * A secret: {@code "env.VAR"} is read from the environment, anything else is literal. An unset variable is
     * {@link Optional#empty()}, so callers decide whether that is an error or a warning.
     */
    public Optional<Secret> secret() {
        String raw = requiredString();
        if (raw.startsWith("env.")) {
            String var = raw.substring(4);
            return env.get(var).filter(v -> !v.isEmpty()).map(v -> Secret.fromEnv(var, v));
        }
        return Optional.of(Secret.literal(raw));
    }

    /** For {@code env.VAR} secrets, the variable name; otherwise empty. */
    public Optional<String> envVariable() {
        String raw = string("");
        return raw.startsWith("env.") ? Optional.of(raw.substring(4)) : Optional.empty();
    }

    public List<Node> list() {
        if (!present()) {
            return List.of();
        }
        if (!json.isArray()) {
            throw error("expected a list, got " + json.getNodeType().name().toLowerCase());
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < json.size(); i++) {
            out.add(new Node(json.get(i), path + "[" + i + "]", env, reads));
        }
        return out;
    }

    public List<String> strings() {
        return list().stream().map(n -> n.string(null)).toList();
    }

    /** The fields of an object, in file order. Their names are the file's (provider names, headers), not reads. */
    public Map<String, Node> fields() {
        Map<String, Node> out = new LinkedHashMap<>();
        if (!present()) {
            return out;
        }
        if (!json.isObject()) {
            throw error("expected an object, got " + json.getNodeType().name().toLowerCase());
        }
        json.fieldNames()
                .forEachRemaining(
                        f -> out.put(f, new Node(json.get(f), path.isEmpty() ? f : path + "." + f, env, reads)));
        return out;
    }

    public Map<String, String> stringMap() {
        Map<String, String> out = new LinkedHashMap<>();
        fields().forEach((k, v) -> out.put(k, v.string(null)));
        return Map.copyOf(out);
    }

    public <T> T map(Function<Node, T> reader) {
        return reader.apply(this);
    }
}
