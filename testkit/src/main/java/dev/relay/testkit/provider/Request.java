package dev.relay.testkit.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One request as the {@link FakeProvider} received it, and (once answered) what it answered. Scripts decide on it;
 * tests read the recorded ones from {@link FakeProvider#requests()}. The body is parsed only when asked.
 */
public final class Request {

    /** {@link #status()} of a request whose connection was cut without an answer (or that hung until shutdown). */
    public static final int NO_ANSWER = -1;

    private final Route route;
    private final String method;
    private final String path;
    private final String query;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private final Map<String, String> pathParams;
    private final long receivedAtNanos;
    private volatile JsonNode json;
    private volatile String user;
    private volatile int status;
    private volatile long respondedAtNanos;

    Request(
            Route route,
            String method,
            String path,
            String query,
            Map<String, List<String>> headers,
            byte[] body,
            Map<String, String> pathParams,
            long receivedAtNanos) {
        this.route = route;
        this.method = method;
        this.path = path;
        this.query = query == null ? "" : query;
        this.headers = headers;
        this.body = body;
        this.pathParams = pathParams;
        this.receivedAtNanos = receivedAtNanos;
    }

    /** The route that matched (its dialect decides how {@link Reply#ok()} and errors look). */
    public Route route() {
        return route;
    }

    public Dialect dialect() {
        return route.dialect();
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** The raw query string, or "" (Azure's {@code api-version=...}). */
    public String query() {
        return query;
    }

    /** The first value of a header (case-insensitive), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every header, names in lower case. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** A {@code {name}} segment of the route's path, for example {@code model} (Gemini) or {@code deployment}. */
    public String pathParam(String name) {
        return pathParams.get(name);
    }

    public byte[] body() {
        return body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body as JSON (a missing node when it is not JSON). */
    public JsonNode json() {
        JsonNode j = json;
        if (j == null) {
            try {
                j = body.length == 0 ? MissingNode.getInstance() : Dialect.JSON.readTree(body);
            } catch (IOException e) {
                j = MissingNode.getInstance();
            }
            json = j;
        }
        return j;
    }

    /**
     * Whether the client asked for a streamed answer: {@code "stream": true} in the body (OpenAI, Anthropic) or
     * Gemini's {@code :streamGenerateContent} path.
     */
    public boolean streaming() {
        return path().contains(":streamGenerateContent")
                || json().path("stream").asBoolean(false);
    }

    /** The model asked for: the body's {@code model}, else the path's {@code model} or {@code deployment}. */
    public String model() {
        String m = json().path("model").asText("");
        if (m.isEmpty()) {
            m = pathParams.getOrDefault("model", pathParams.getOrDefault("deployment", ""));
        }
        return m;
    }

    /**
     * The caller id in the body (OpenAI's {@code user}, Anthropic's {@code metadata.user_id}); tests and benchmarks
     * put the job id there. For OpenAI bodies it is found without parsing the JSON, so a benchmark's provider takes
     * little of the shared CPU.
     */
    public String user() {
        String u = user;
        if (u == null) {
            u = findUser();
            user = u;
        }
        return u;
    }

    private String findUser() {
        if (dialect() == Dialect.OPENAI || dialect() == Dialect.AZURE) {
            String s = bodyText();
            int at = s.indexOf("\"user\":");
            if (at < 0) {
                return "";
            }
            int open = s.indexOf('"', at + 7);
            int close = open < 0 ? -1 : s.indexOf('"', open + 1);
            return close < 0 ? "" : s.substring(open + 1, close);
        }
        return dialect().user(json());
    }

    /** Every text part of the messages (and the system prompt), joined by newlines: what a script matches on. */
    public String text() {
        return dialect().text(json());
    }

    public long receivedAtNanos() {
        return receivedAtNanos;
    }

    /** The status answered: 0 while the answer is pending, {@link #NO_ANSWER} when the connection was cut. */
    public int status() {
        return status;
    }

    /** {@link System#nanoTime()} when the answer was fully written (or cut); 0 while pending. */
    public long respondedAtNanos() {
        return respondedAtNanos;
    }

    void answered(int status) {
        this.status = status;
        this.respondedAtNanos = System.nanoTime();
    }

    @Override
    public String toString() {
        return method + " " + path + (query.isEmpty() ? "" : "?" + query) + " -> " + status;
    }
}
