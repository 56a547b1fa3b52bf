package dev.relay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.schemas.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChainSpecTest {

    @Test
    void shouldReadTargetsInOrderAndKeepSlashesInModels() {
        assertThat(ChainSpec.parse(
                        "anthropic/claude-sonnet-4-5, gemini/gemini-2.5-flash,openrouter/meta-llama/llama-3-70b", 5))
                .containsExactly(
                        new Target("anthropic", "claude-sonnet-4-5"),
                        new Target("gemini", "gemini-2.5-flash"),
                        new Target("openrouter", "meta-llama/llama-3-70b"));
    }

    @Test
    void shouldFormatBackToTheSameText() {
        String text = "openai/gpt-4o-mini,anthropic/claude-haiku-4-5";
        assertThat(ChainSpec.format(ChainSpec.parse(text, 5))).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "  ",
                "openai",
                "openai/",
                "/gpt-4o",
                "openai/gpt-4o,,gemini/x",
                "OpenAI/gpt-4o",
                "open ai/gpt",
                "openai/gpt 4o",
                "openai/gpt-4o,"
            })
    void shouldRejectBadSyntaxAsUsageError(String text) {
        assertThatThrownBy(() -> ChainSpec.parse(text, 5))
                .isInstanceOf(ReplayException.class)
                .hasMessageStartingWith("--chain:")
                .satisfies(e -> assertThat(((ReplayException) e).exitCode()).isEqualTo(ReplayMain.EXIT_USAGE));
    }

    @Test
    void shouldRejectChainsLongerThanAllowed() {
        assertThatThrownBy(() -> ChainSpec.parse("a/1,b/2,c/3", 2))
                .isInstanceOf(ReplayException.class)
                .hasMessageContaining("3 targets; at most 2");
    }
}
