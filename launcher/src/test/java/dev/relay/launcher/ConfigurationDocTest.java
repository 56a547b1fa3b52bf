package dev.relay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.fault.FaultRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md against the code: every key a config reader asks for has a row there, and every row names a
 * key some reader asks for. The readers report each key they ask for (present or not) through {@code Node.Reads};
 * this test runs all of them (the config module's, the processor's {@code fallback_policy} and mocker readers) over a
 * config that reaches every branch that reads a key.
 */
class ConfigurationDocTest {

    private static final String DOC = "docs/configuration.md";

    /**
     * Reaches the readers' conditional branches: a provider with a key and a batch section, a mocker rule of each kind,
     * a class override.
     */
    private static final String SAMPLE = """
            {
              "providers": {"p": {"type": "mock", "keys": [{"value": "literal-key"}], "batch": {}}},
              "plugins": [{"name": "mocker", "config": {
                "global_latency": {"type": "uniform", "min": "1ms", "max": "2ms"},
                "rules": [{"name": "r", "conditions": {"request_size": {}},
                           "latency": {"type": "uniform", "min": "1ms", "max": "2ms"},
                           "responses": [{"type": "success", "content": {"message": "m", "usage": {}}},
                                         {"type": "error", "error": {"message": "e", "status_code": 500}}]}]}}],
              "fallback_policy": {"content_filtered_fallback": false, "classes": {"TRANSIENT": {}}}
            }
            """;

    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\|(.*)$");
    private static final String IGNORED = "accepted and ignored";

    @Test
    void shouldDocumentEveryKeyTheReadersAccept() throws IOException {
        Map<String, String> documented = documentedKeys();
        Set<String> read = keysTheReadersAskFor();

        List<String> missing = new ArrayList<>();
        for (String key : read) {
            if (!covered(key, documented.keySet())) {
                missing.add("`" + key + "`: add a row `| `" + key + "` | <default> | <meaning> |` to " + DOC + ", "
                        + whereToAdd(key) + ".");
            }
        }
        assertThat(missing)
                .as(
                        "keys the config readers accept but %s does not list (one row per key; the test is %s)",
                        DOC, getClass().getSimpleName())
                .isEmpty();
    }

    @Test
    void shouldNameOnlyKeysSomeReaderAccepts() throws IOException {
        Map<String, String> documented = documentedKeys();
        Set<String> read = keysTheReadersAskFor();

        List<String> stale = new ArrayList<>();
        documented.forEach((key, row) -> {
            if (!read.contains(key) && !row.contains(IGNORED)) {
                stale.add("`" + key + "`: no reader asks for it; fix its path or remove the row from " + DOC
                        + " (a key the loader accepts without reading it says \"" + IGNORED + "\").");
            }
        });
        assertThat(stale)
                .as("rows of %s that name no key the config readers read", DOC)
                .isEmpty();
    }

    @Test
    void shouldFindTheKeysItChecks() throws IOException {
        // guards the parsing and the recording: if either found nothing, the two checks above would pass vacuously
        assertThat(documentedKeys().keySet())
                .as("rows parsed from %s", DOC)
                .hasSizeGreaterThan(50)
                .contains("ingress.idempotency_window", "webhooks.timeout", "fallback_policy.retry_after_cap");
        assertThat(keysTheReadersAskFor())
                .as("keys the readers asked for")
                .hasSizeGreaterThan(50)
                .contains(
                        "ingress.idempotency_window",
                        "providers.<name>.keys[].weight",
                        "fallback_policy.classes.<CLASS>.next_hop",
                        "plugins[].config.rules[].responses[].error.status_code");
    }

    /** The keys the readers ask for, normalised: list indexes become {@code []}, names become placeholders. */
    private static Set<String> keysTheReadersAskFor() {
        Set<String> raw = new TreeSet<>();
        RelayConfig config = new ConfigLoader(name -> Optional.empty(), raw::add).parse(SAMPLE, "sample");
        RetryPolicy.from(config.fallbackPolicy());
        FaultRules.from(config);
        Set<String> keys = new TreeSet<>(ConfigLoader.sections());
        for (String path : raw) {
            keys.add(normalise(path));
        }
        return keys;
    }

    static String normalise(String path) {
        String p = path.replaceAll("\\[\\d+]", "[]");
        p = p.replaceFirst("^providers\\.[^.]+(?=\\.|$)", "providers.<name>");
        p = p.replaceFirst("^fallback_policy\\.classes\\.[^.]+(?=\\.|$)", "fallback_policy.classes.<CLASS>");
        return p;
    }

    /** A key is covered by its own row, or, for an object or list, by the rows of its fields. */
    private static boolean covered(String key, Set<String> documented) {
        return documented.contains(key)
                || documented.stream().anyMatch(d -> d.startsWith(key + ".") || d.startsWith(key + "[]"));
    }

    private static String whereToAdd(String key) throws IOException {
        if (!key.contains(".") && !key.contains("[")) {
            return "in the table under '## Top-level sections', and describe its keys under a heading '## `" + key
                    + "`'";
        }
        String section = key.split("[.\\[]", 2)[0];
        for (String line : Files.readAllLines(doc())) {
            if (line.startsWith("## ") && line.contains("`" + section)) {
                return "in the table under '" + line + "'";
            }
        }
        return "under a new heading '## `" + section + "`' (and a row for `" + section
                + "` under '## Top-level sections')";
    }

    /** The first cell of every table row that starts with a back-quoted key, with the rest of its row. */
    private static Map<String, String> documentedKeys() throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(doc())) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                keys.put(m.group(1), m.group(2));
            }
        }
        return keys;
    }

    private static Path doc() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(DOC))) {
                return dir.resolve(DOC);
            }
        }
        throw new IllegalStateException(DOC + " not found above " + Path.of("").toAbsolutePath());
    }
}
