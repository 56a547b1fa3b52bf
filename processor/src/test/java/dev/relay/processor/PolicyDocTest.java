package dev.relay.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.processor.attempt.ClassPolicy;
import dev.relay.processor.attempt.Classifier;
import dev.relay.processor.attempt.FailureClass;
import dev.relay.processor.attempt.RetryPolicy;
import dev.relay.processor.routing.CircuitBreakers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/policy.md}'s failure table is the one the project documents; this test holds it to the code. Each row's
 * statuses (with the error code or message phrase written after them) must classify to the row's class, every 4xx and
 * 5xx status must be in the row of the class it classifies to (or under "other 4xx"/"other 5xx" there), and the
 * "same target", "next hop" and breaker columns must say what the default policy and the breakers do.
 */
class PolicyDocTest {

    private static final Path DOC = Path.of("../docs/policy.md");
    /** A 4xx/5xx status or range, optionally followed by a `code` or a "message phrase" that qualifies it. */
    private static final Pattern STATUS =
            Pattern.compile("(?<![\\d-])([45]\\d\\d)(?:-([45]\\d\\d))?(?![\\d-])(?:\\s+(?:`([^`]+)`|\"([^\"]+)\"))?");

    private record Row(FailureClass cls, String signal, String sameTarget, String nextHop, String breaker) {}

    private static Map<FailureClass, Row> rows;

    @BeforeAll
    static void readTable() throws IOException {
        List<String> lines = Files.readAllLines(DOC);
        int heading = lines.indexOf("## 1. The failure table");
        assertThat(heading)
                .as("%s has the heading '## 1. The failure table'", DOC)
                .isNotNegative();
        List<List<String>> table = new ArrayList<>();
        for (int i = heading + 1; i < lines.size() && !lines.get(i).startsWith("## "); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("|")) {
                table.add(Arrays.stream(line.substring(1, line.length() - 1).split("\\|"))
                        .map(String::strip)
                        .toList());
            } else if (!table.isEmpty()) {
                break; // the first table after the heading is the failure table
            }
        }
        assertThat(table.get(0))
                .containsExactly("class", "signal", "same target", "next hop", "counts against the breaker");
        rows = new EnumMap<>(FailureClass.class);
        for (List<String> cells : table.subList(2, table.size())) {
            FailureClass c = FailureClass.valueOf(cells.get(0).replace("`", ""));
            assertThat(rows.put(c, new Row(c, cells.get(1), cells.get(2), cells.get(3), cells.get(4))))
                    .as("row for %s appears once", c)
                    .isNull();
        }
    }

    @Test
    void shouldHaveOneRowPerFailureClass() {
        assertThat(rows.keySet()).containsExactlyInAnyOrder(FailureClass.values());
    }

    @Test
    void shouldClassifyEveryStatusARowNamesToThatRowsClass() {
        List<String> wrong = new ArrayList<>();
        for (Row r : rows.values()) {
            Matcher m = STATUS.matcher(r.signal());
            while (m.find()) {
                int from = Integer.parseInt(m.group(1));
                int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
                String code = m.group(3);
                String phrase = m.group(4);
                for (int status = from; status <= to; status++) {
                    FailureClass actual = Classifier.classify(status, code, code, phrase);
                    if (actual != r.cls()) {
                        wrong.add(m.group() + " is " + actual + ", not " + r.cls());
                    }
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void shouldListEveryErrorStatusInTheRowOfItsClass() {
        List<String> missing = new ArrayList<>();
        for (int status = 400; status <= 599; status++) {
            FailureClass c = Classifier.classify(status, null, null, null);
            Row r = rows.get(c);
            boolean catchAll = r.signal().contains(status < 500 ? "other 4xx" : "other 5xx");
            if (!catchAll && !bareStatuses(r.signal()).contains(status)) {
                missing.add(status + " (" + c + ")");
            }
        }
        assertThat(missing)
                .as("statuses the table does not put where the classifier does")
                .isEmpty();
    }

    @Test
    void shouldStateTheDefaultPolicyOfEachClass() {
        RetryPolicy defaults = RetryPolicy.defaults();
        for (Row r : rows.values()) {
            ClassPolicy p = defaults.policy(r.cls());
            assertThat(!r.sameTarget().startsWith("no"))
                    .as("%s retries the same target", r.cls())
                    .isEqualTo(p.retrySame());
            assertThat(r.sameTarget().contains("another key"))
                    .as("%s rotates keys", r.cls())
                    .isEqualTo(p.rotateKey());
            assertThat(r.sameTarget().startsWith("once"))
                    .as("%s is retried once", r.cls())
                    .isEqualTo(p.maxRetries().isPresent() && p.maxRetries().getAsInt() == 1);
            assertThat(r.nextHop().startsWith("yes"))
                    .as("%s falls back", r.cls())
                    .isEqualTo(p.nextHop());
            assertThat(r.nextHop().startsWith(p.nextHop() ? "yes" : "no"))
                    .as("%s next hop: yes or no", r.cls())
                    .isTrue();
            assertThat(r.breaker().startsWith("yes"))
                    .as("%s counts against the breaker", r.cls())
                    .isEqualTo(CircuitBreakers.HEALTH_CLASSES.contains(r.cls()));
        }
    }

    @Test
    void shouldTellABugFromAnOutage() {
        assertThat(Classifier.classify(new NullPointerException())).isEqualTo(FailureClass.INTERNAL);
        assertThat(rows.get(FailureClass.INTERNAL).signal()).contains("exception inside an adapter or a mapper");
    }

    /** The statuses a signal names on their own (not qualified by a code or a phrase), ranges expanded. */
    private static List<Integer> bareStatuses(String signal) {
        List<Integer> out = new ArrayList<>();
        Matcher m = STATUS.matcher(signal);
        while (m.find()) {
            if (m.group(3) == null && m.group(4) == null) {
                int from = Integer.parseInt(m.group(1));
                int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
                for (int s = from; s <= to; s++) {
                    out.add(s);
                }
            }
        }
        return out;
    }
}
