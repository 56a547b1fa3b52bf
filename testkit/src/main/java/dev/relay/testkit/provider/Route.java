package dev.relay.testkit.provider;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One row of the {@link FakeProvider}'s route table: a method, a path template and the dialect its answers are
 * written in. {@code {name}} in the template matches one path segment (or the part of it before a {@code :}, as
 * in Gemini's {@code {model}:generateContent}) and is read back with {@link Request#pathParam}.
 *
 * @param handler null for the chat routes (answered by the provider's script); otherwise the route's own handler
 */
public record Route(String method, String template, Dialect dialect, Handler handler) {

    /** Answers the requests of one route. */
    @FunctionalInterface
    public interface Handler {
        Reply handle(Request request) throws Exception;
    }

    /** The chat routes every provider serves, answered by its script. */
    public static final List<Route> CHAT = List.of(
            new Route("POST", "/openai/deployments/{deployment}/chat/completions", Dialect.AZURE, null),
            new Route("POST", "/v1/chat/completions", Dialect.OPENAI, null),
            // OpenAI-compatible providers whose base_url carries a path (Groq's https://api.groq.com/openai/v1)
            new Route("POST", "/{prefix}/v1/chat/completions", Dialect.OPENAI, null),
            new Route("POST", "/v1/messages", Dialect.ANTHROPIC, null),
            new Route("POST", "/v1beta/models/{model}:generateContent", Dialect.GEMINI, null),
            new Route("POST", "/v1beta/models/{model}:streamGenerateContent", Dialect.GEMINI, null));

    private static final Pattern PARAM = Pattern.compile("\\{([a-zA-Z]+)}");
    private static final Map<String, Pattern> COMPILED = new ConcurrentHashMap<>();

    public Route {
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("a route's path starts with /: " + template);
        }
    }

    /** A route answered by the provider's script (a chat dialect at a new path). */
    public static Route chat(String method, String template, Dialect dialect) {
        return new Route(method, template, dialect, null);
    }

    /** The {@code {name}} values when {@code method} and {@code path} match this route, else null. */
    Map<String, String> match(String method, String path) {
        if (!this.method.equals(method)) {
            return null;
        }
        Matcher m = COMPILED.computeIfAbsent(template, Route::regex).matcher(path);
        if (!m.matches()) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        Matcher names = PARAM.matcher(template);
        int group = 1;
        while (names.find()) {
            params.put(names.group(1), m.group(group++));
        }
        return params;
    }

    private static Pattern regex(String template) {
        StringBuilder re = new StringBuilder();
        Matcher names = PARAM.matcher(template);
        int last = 0;
        while (names.find()) {
            re.append(Pattern.quote(template.substring(last, names.start()))).append("([^/:]+)");
            last = names.end();
        }
        re.append(Pattern.quote(template.substring(last)));
        return Pattern.compile(re.toString());
    }

    @Override
    public String toString() {
        return method + " " + template + " (" + dialect + (handler == null ? ", scripted)" : ")");
    }
}
