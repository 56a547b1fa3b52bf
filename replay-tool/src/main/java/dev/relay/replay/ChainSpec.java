package dev.relay.replay;

import dev.relay.schemas.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads {@code --chain "anthropic/claude-sonnet-4-5,gemini/gemini-2.5-flash"}: comma-separated {@code provider/model}
 * targets, primary first. The provider is everything before the first '/', so models with slashes
 * ({@code openrouter/meta-llama/llama-3-70b}) work.
 */
public final class ChainSpec {

    /** The config's rule for provider names. */
    static final Pattern PROVIDER = Pattern.compile("[a-z0-9][a-z0-9_-]*");

    private ChainSpec() {}

    public static List<Target> parse(String text, int maxLength) {
        if (text == null || text.isBlank()) {
            throw ReplayException.usage("--chain: is empty; expected \"provider/model,provider/model,...\"");
        }
        List<Target> chain = new ArrayList<>();
        String[] parts = text.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            int slash = part.indexOf('/');
            if (part.isEmpty() || slash <= 0 || slash == part.length() - 1) {
                throw ReplayException.usage("--chain: target " + (i + 1) + " \"" + part
                        + "\" is not provider/model (e.g. anthropic/claude-sonnet-4-5)");
            }
            String provider = part.substring(0, slash);
            String model = part.substring(slash + 1).trim();
            if (!PROVIDER.matcher(provider).matches()) {
                throw ReplayException.usage("--chain: target " + (i + 1) + " has provider \"" + provider
                        + "\"; provider names are lower-case letters, digits, '-' and '_'");
            }
            if (model.chars().anyMatch(Character::isWhitespace)) {
                throw ReplayException.usage(
                        "--chain: target " + (i + 1) + " has a model with spaces: \"" + model + "\"");
            }
            chain.add(new Target(provider, model));
        }
        if (chain.size() > maxLength) {
            throw ReplayException.usage("--chain: has " + chain.size() + " targets; at most " + maxLength
                    + " are allowed (a primary plus kafka.max_fallbacks fallbacks)");
        }
        return List.copyOf(chain);
    }

    public static String format(List<Target> chain) {
        return String.join(
                ",",
                chain.stream().map(t -> t.getProvider() + "/" + t.getModel()).toList());
    }
}
