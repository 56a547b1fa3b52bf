package dev.relay.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage errors answer with exit 2 and a clear message before anything connects: the broker address here refuses
 * connections, so a test that reached the network would see exit 3 instead.
 */
class ReplayMainUsageTest {

    private static final String[] NOWHERE = {
        "--bootstrap-servers", "127.0.0.1:1", "--registry-url", "http://127.0.0.1:1", "--timeout", "1s"
    };

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        String[] all = new String[NOWHERE.length + args.length];
        System.arraycopy(NOWHERE, 0, all, 0, NOWHERE.length);
        System.arraycopy(args, 0, all, NOWHERE.length, args.length);
        return ReplayMain.run(new PrintWriter(out), new PrintWriter(err), all);
    }

    @Test
    void shouldExplainBadDates() {
        assertThat(run("--since", "yesterday")).isEqualTo(2);
        assertThat(err.toString())
                .contains("--since: cannot read \"yesterday\"")
                .contains("2h");
    }

    @Test
    void shouldRefuseAnEmptyWindow() {
        assertThat(run("--since", "2026-11-24T20:00:00Z", "--until", "2026-11-24T19:00:00Z"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("must be before --until");
    }

    @Test
    void shouldNameTheValidErrorClasses() {
        assertThat(run("--error-class", "TRANSIENT,SERVER_ERROR")).isEqualTo(2);
        assertThat(err.toString())
                .contains("unknown class \"SERVER_ERROR\"")
                .contains("RATE_LIMITED")
                .contains("TRANSIENT");
    }

    @Test
    void shouldAcceptErrorClassesInAnyCase() {
        // valid options get as far as the broker, which refuses: exit 3, not 2
        assertThat(run("--error-class", "rate-limited,transient")).isEqualTo(3);
        assertThat(err.toString()).contains("127.0.0.1:1");
    }

    @Test
    void shouldRefuseUnknownProvidersWhenAConfigIsGiven(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"providers": {"openai": {"keys": [{"name": "k", "value": "sk-test"}]},
                               "anthropic": {"keys": [{"name": "k", "value": "sk-test"}]}},
                 "kafka": {"bootstrap_servers": "127.0.0.1:1"}}
                """);
        assertThat(run("--config", config.toString(), "--provider", "openia")).isEqualTo(2);
        assertThat(err.toString())
                .contains("--provider: unknown provider \"openia\"")
                .contains("[anthropic, openai]");
        assertThat(run("--config", config.toString(), "--chain", "anthropic/claude-haiku-4-5,gemini/gemini-2.5-flash"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--chain: unknown provider \"gemini\"");
    }

    @Test
    void shouldReportABrokenConfigAsUsageError(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"kafka\": {\"processing_guarantee\": \"maybe\"}}");
        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("kafka.processing_guarantee");
        assertThat(run("--config", dir.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no such file");
    }

    @Test
    void shouldRejectBadChainSyntax() {
        assertThat(run("--chain", "anthropic")).isEqualTo(2);
        assertThat(err.toString()).contains("--chain: target 1 \"anthropic\" is not provider/model");
    }

    @Test
    void shouldRejectContradictoryOrBadNumbers() {
        assertThat(run("--dry-run", "--execute")).isEqualTo(2);
        assertThat(err.toString()).contains("--dry-run and --execute exclude each other");
        assertThat(run("--rate", "-3")).isEqualTo(2);
        assertThat(run("--rate", "fast")).isEqualTo(2);
        assertThat(ReplayMain.run(
                        new PrintWriter(out),
                        new PrintWriter(err),
                        "--bootstrap-servers",
                        "127.0.0.1:1",
                        "--timeout",
                        "soon"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--timeout: cannot read \"soon\"");
        assertThat(run("--no-such-option")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
    }

    @Test
    void shouldRejectAnEmptyJobIdsFile(@TempDir Path dir) throws Exception {
        Path ids = Files.writeString(dir.resolve("ids.txt"), "# none\n\n");
        assertThat(run("--job-ids-file", ids.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("holds no job ids");
        assertThat(run("--job-ids-file", dir.resolve("nope.txt").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read");
    }

    @Test
    void shouldPrintHelpWithExitCodes() {
        assertThat(ReplayMain.run(new PrintWriter(out), new PrintWriter(err), "--help"))
                .isZero();
        assertThat(out.toString())
                .contains("--since")
                .contains("--execute")
                .contains("Exit codes:")
                .contains("broker or schema registry unreachable")
                .doesNotContain("--halt-after");
    }
}
