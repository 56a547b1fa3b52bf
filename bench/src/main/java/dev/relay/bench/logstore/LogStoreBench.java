package dev.relay.bench.logstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.ingress.logstore.JobQuery;
import dev.relay.ingress.logstore.LogBatch;
import dev.relay.ingress.logstore.LogDatabase;
import dev.relay.ingress.logstore.LogQueries;
import dev.relay.ingress.logstore.LogWriter;
import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.testkit.logstore.SyntheticLog;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log store's projection on SQLite: how fast it ingests (records decoded from Avro binary and written in
 * poll-sized transactions, as the projector does), and how fast the Logs view's filtered pages answer with 100,000
 * jobs and about 250,000 attempts loaded. Run: {@code java -cp <bench classpath> dev.relay.bench.logstore.LogStoreBench
 * [--jobs 100000] [--batch 5000]}. Prints Markdown.
 */
public final class LogStoreBench {

    private LogStoreBench() {}

    public static void main(String[] args) throws Exception {
        int jobs = intArg(args, "--jobs", 100_000);
        int batch = intArg(args, "--batch", 5000);
        System.out.println("load average at start: " + loadAverage());
        long start = System.currentTimeMillis() - jobs * 10L - 60_000;
        SyntheticLog.Records r = SyntheticLog.generate(jobs, start, 11);
        // encoded once, decoded in the timed part: the projector pays for Avro decoding too
        List<Character> kinds = new ArrayList<>();
        List<ByteBuffer> encoded = new ArrayList<>();
        // topic order as a consumer sees it: each poll brings some of every topic
        int a = 0;
        int per = Math.max(1, r.attempts().size() / Math.max(1, jobs));
        for (int i = 0; i < jobs; i++) {
            encoded.add(r.jobs().get(i).toByteBuffer());
            kinds.add('j');
            for (int k = 0; k < per + 1 && a < r.attempts().size(); k++) {
                encoded.add(r.attempts().get(a++).toByteBuffer());
                kinds.add('a');
            }
            encoded.add(r.results().get(i).toByteBuffer());
            kinds.add('r');
        }
        while (a < r.attempts().size()) {
            encoded.add(r.attempts().get(a++).toByteBuffer());
            kinds.add('a');
        }
        for (FailedJob f : r.failed()) {
            encoded.add(f.toByteBuffer());
            kinds.add('f');
        }
        Path dir = Files.createTempDirectory("relay-bench-logstore");
        ObjectMapper json = new ObjectMapper();
        try (LogDatabase db = LogDatabase.sqlite(dir.resolve("logs.db"))) {
            LogWriter writer = new LogWriter(db, true);
            long t0 = System.nanoTime();
            for (int i = 0; i < encoded.size(); i += batch) {
                LogBatch b = new LogBatch();
                for (int k = i; k < Math.min(encoded.size(), i + batch); k++) {
                    ByteBuffer buf = encoded.get(k).duplicate();
                    switch (kinds.get(k)) {
                        case 'j' -> b.job(Job.fromByteBuffer(buf));
                        case 'a' -> b.attempt(AttemptRecord.fromByteBuffer(buf));
                        case 'r' -> b.result(JobResult.fromByteBuffer(buf));
                        default -> b.failed(FailedJob.fromByteBuffer(buf));
                    }
                }
                b.offset("bench.attempts", 0, i + batch);
                writer.apply(b);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long size = Files.size(dir.resolve("logs.db"));
            LogQueries q = new LogQueries(db, json);
            System.out.printf(
                    "## Ingest%n%n| jobs | attempts | results | failed | records | seconds | attempts/s | records/s | database |%n"
                            + "|---|---|---|---|---|---|---|---|---|%n| %,d | %,d | %,d | %,d | %,d | %.1f | %,.0f | %,.0f | %,d MB |%n%n",
                    jobs,
                    r.attempts().size(),
                    r.results().size(),
                    r.failed().size(),
                    encoded.size(),
                    seconds,
                    r.attempts().size() / seconds,
                    encoded.size() / seconds,
                    size >> 20);
            Map<String, JobQuery> shapes = new LinkedHashMap<>();
            shapes.put("newest 50", q(null, null, null, null, null, null, null, null));
            shapes.put("status FAILED", q("FAILED", null, null, null, null, null, null, null));
            shapes.put("provider anthropic", q(null, "anthropic", null, null, null, null, null, null));
            shapes.put("provider + class TIMEOUT", q(null, "anthropic", null, "TIMEOUT", null, null, null, null));
            shapes.put("class AUTH", q(null, null, null, "AUTH", null, null, null, null));
            shapes.put("fallback index 2", q(null, null, null, null, 2, null, null, null));
            shapes.put("model m1 + tenant", q(null, null, "m1", null, null, "tenant-3", null, null));
            shapes.put("metadata team=t2", q(null, null, null, null, null, null, "team=t2", null));
            shapes.put("text search 'kafka'", q(null, null, null, null, null, null, null, "kafka"));
            shapes.put("text search, two words", q(null, null, null, null, null, null, null, "question about kafka"));
            shapes.put("text search, no match", q(null, null, null, null, null, null, null, "zebra"));
            shapes.put("metadata, no match", q(null, null, null, null, null, null, "team=nobody", null));
            shapes.put("tenant, no match", q(null, null, null, null, null, "tenant-none", null, null));
            shapes.put("provider + class, no match", q(null, "openai", null, "CONTEXT_LENGTH", null, null, null, null));
            shapes.put(
                    "FAILED + provider + class + tenant",
                    q("FAILED", "gemini", null, "RATE_LIMITED", null, "tenant-1", null, null));
            System.out.printf(
                    "## Filtered pages (50 rows, newest first), %d runs each after 3 warm-up runs%n%n"
                            + "| filter | rows | p50 ms | max ms |%n|---|---|---|---|%n",
                    20);
            double worst = 0;
            for (var e : shapes.entrySet()) {
                for (int i = 0; i < 3; i++) {
                    q.jobs(e.getValue());
                }
                double[] ms = new double[20];
                int rows = 0;
                for (int i = 0; i < ms.length; i++) {
                    long s = System.nanoTime();
                    rows = q.jobs(e.getValue()).size();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                Arrays.sort(ms);
                worst = Math.max(worst, ms[ms.length - 1]);
                System.out.printf(
                        "| %s | %d | %.1f | %.1f |%n", e.getKey(), rows, ms[ms.length / 2], ms[ms.length - 1]);
            }
            System.out.printf("%nslowest filtered page: %.1f ms (target <= 100 ms)%n", worst);
            System.out.println("load average at the end: " + loadAverage());
        }
        System.exit(0);
    }

    private static JobQuery q(
            String status,
            String provider,
            String model,
            String cls,
            Integer fallback,
            String tenant,
            String meta,
            String text) {
        return new JobQuery(status, provider, model, cls, fallback, null, null, null, tenant, meta, text, null, 50);
    }

    /** The 1, 5 and 15 minute load averages (Linux), for the report: the machine is shared. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}
