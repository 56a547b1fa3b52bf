package dev.relay.processor.attempt;

import dev.relay.config.Node;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads {@code fallback_policy}:
 *
 * <pre>{@code
 * "fallback_policy": {
 *   "retry_after_cap": "5s",                 // longer Retry-After: move to the next hop instead of waiting
 *   "content_filtered_fallback": false,      // shorthand for classes.CONTENT_FILTERED.next_hop
 *   "classes": {
 *     "CONTENT_FILTERED": {"next_hop": true},
 *     "TRANSIENT": {"retry_same": true, "max_retries": 1},
 *     "RATE_LIMITED": {"rotate_key": false}
 *   }
 * }
 * }</pre>
 *
 * Unknown fields and class names are errors that name the path, so a typo never silently keeps a default.
 */
final class FallbackPolicyReader {

    private static final Set<String> TOP = Set.of("retry_after_cap", "content_filtered_fallback", "classes");
    private static final Set<String> CLASS_FIELDS = Set.of("retry_same", "next_hop", "rotate_key", "max_retries");
    private static final int MAX_RETRIES_LIMIT = 20;

    private FallbackPolicyReader() {}

    static RetryPolicy read(Node n) {
        if (n == null || !n.present()) {
            return RetryPolicy.defaults();
        }
        checkFields(n, TOP);
        Duration cap = n.get("retry_after_cap").duration(RetryPolicy.DEFAULT_RETRY_AFTER_CAP, ChronoUnit.SECONDS);
        Map<FailureClass, ClassPolicy> classes = new EnumMap<>(FailureClass.class);
        Map<FailureClass, Node> nodes = new EnumMap<>(FailureClass.class);
        n.get("classes").fields().forEach((name, node) -> {
            FailureClass c = parseClass(name, node);
            if (nodes.containsKey(c)) {
                throw node.error("duplicates " + nodes.get(c).path());
            }
            nodes.put(c, node);
            classes.put(c, readClass(c, node));
        });
        Node cf = n.get("content_filtered_fallback");
        if (cf.present()) {
            boolean fallback = cf.bool(false);
            ClassPolicy current = classes.getOrDefault(
                    FailureClass.CONTENT_FILTERED, ClassPolicy.defaults(FailureClass.CONTENT_FILTERED));
            Node explicit = nodes.get(FailureClass.CONTENT_FILTERED);
            if (explicit != null && explicit.get("next_hop").present() && current.nextHop() != fallback) {
                throw cf.error("contradicts " + explicit.get("next_hop").path() + "; set only one of them");
            }
            classes.put(
                    FailureClass.CONTENT_FILTERED,
                    new ClassPolicy(current.retrySame(), fallback, current.rotateKey(), current.maxRetries()));
        }
        return new RetryPolicy(classes, cap);
    }

    private static FailureClass parseClass(String name, Node node) {
        FailureClass c;
        try {
            c = FailureClass.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw node.error("unknown failure class \"" + name + "\"; expected one of "
                    + Arrays.toString(FailureClass.values()));
        }
        if (c == FailureClass.DEADLINE) {
            throw node.error("DEADLINE cannot be overridden: once the job's deadline has passed nothing more is tried");
        }
        return c;
    }

    private static ClassPolicy readClass(FailureClass c, Node n) {
        checkFields(n, CLASS_FIELDS);
        ClassPolicy d = ClassPolicy.defaults(c);
        Node max = n.get("max_retries");
        OptionalInt maxRetries = max.present() ? OptionalInt.of(max.integer(0, 0, MAX_RETRIES_LIMIT)) : d.maxRetries();
        return new ClassPolicy(
                n.get("retry_same").bool(d.retrySame()),
                n.get("next_hop").bool(d.nextHop()),
                n.get("rotate_key").bool(d.rotateKey()),
                maxRetries);
    }

    private static void checkFields(Node n, Set<String> allowed) {
        for (Map.Entry<String, Node> e : n.fields().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw e.getValue().error("unknown field; expected one of " + new java.util.TreeSet<>(allowed));
            }
        }
    }
}
