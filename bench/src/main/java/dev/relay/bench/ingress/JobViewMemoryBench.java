package dev.relay.bench.ingress;

import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.kafka.ResultStore;
import dev.relay.ingress.kafka.RocksResultStore;
import dev.relay.schemas.AttemptSummary;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Heap per job the ingress's view holds: N accepted jobs (hop-0 records) and N results, each with a short
 * chat.completion (about 400 bytes of JSON) and two attempts; then again once the idempotency window has passed (only
 * results are left). {@code rocks} (the ingress's setting) keeps results on disk, {@code memory} in the heap. Run:
 * {@code java -cp $CP dev.relay.bench.ingress.JobViewMemoryBench 200000 rocks|memory}.
 */
public final class JobViewMemoryBench {

    private JobViewMemoryBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        boolean rocks = !(args.length > 1 && args[1].equals("memory"));
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("relay-view-bench");
        String completion = "{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion\",\"created\":1700000000,"
                + "\"model\":\"claude-3-5-haiku\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Here is a short answer of about a hundred characters, as many chat answers are.\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":24,\"total_tokens\":36}}";
        long[] offsetMs = {0};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.now().plusMillis(offsetMs[0]);
            }
        };
        ResultStore store = rocks ? RocksResultStore.openFresh(dir) : ResultStore.inMemory();
        JobView view = new JobView(clock, Duration.ofHours(24), store);
        long base = heap();
        List<Target> chain = List.of(
                Target.newBuilder()
                        .setProvider("openai")
                        .setModel("gpt-4o-mini")
                        .build(),
                Target.newBuilder()
                        .setProvider("anthropic")
                        .setModel("claude-3-5-haiku")
                        .build());
        ChatRequest req = ChatRequest.newBuilder()
                .setMessages(List.of(Message.newBuilder()
                        .setRole("user")
                        .setContent(List.of(ContentPart.newBuilder()
                                .setType("text")
                                .setText("hi")
                                .build()))
                        .build()))
                .build();
        for (int i = 0; i < n; i++) {
            String id = "job_" + Long.toHexString(Double.doubleToLongBits(Math.random())) + Integer.toHexString(i);
            Instant now = Instant.now();
            view.onJob(Job.newBuilder()
                    .setJobId(id)
                    .setSubmittedAt(now)
                    .setRequest(req)
                    .setChain(chain)
                    .build());
            List<AttemptSummary> attempts = List.of(
                    attempt("openai", "gpt-4o-mini", 0, OutcomeClass.RATE_LIMITED, Decision.NEXT_HOP, now),
                    attempt("anthropic", "claude-3-5-haiku", 1, OutcomeClass.SUCCESS, Decision.RETURNED, now));
            view.onResult(JobResult.newBuilder()
                    .setJobId(id)
                    .setStatus(JobStatus.SUCCEEDED)
                    .setResponseJson(new String(completion.toCharArray()))
                    .setProvider("anthropic")
                    .setModel("claude-3-5-haiku")
                    .setHop(1)
                    .setSubmittedAt(now)
                    .setCompletedAt(now)
                    .setTotalLatencyMs(5)
                    .setAttemptCount(2)
                    .setAttempts(attempts)
                    .build());
        }
        long used = heap() - base;
        System.out.printf(
                "%s store: %d jobs with results, in the window: +%.1f MB heap, %.0f bytes per job%n",
                rocks ? "rocks" : "memory", n, used / 1e6, (double) used / n);
        offsetMs[0] = Duration.ofHours(25).toMillis();
        view.prune();
        long after = heap() - base;
        System.out.printf(
                "%s store: %d results after the window: +%.1f MB heap, %.0f bytes per job; %s on disk%n",
                rocks ? "rocks" : "memory",
                n,
                after / 1e6,
                (double) after / n,
                rocks ? (diskBytes(((RocksResultStore) store).directory()) / 1_000_000) + " MB" : "nothing");
        store.close();
    }

    private static long diskBytes(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            return files.filter(java.nio.file.Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static AttemptSummary attempt(String p, String m, int hop, OutcomeClass o, Decision d, Instant at) {
        return AttemptSummary.newBuilder()
                .setHop(hop)
                .setAttempt(1)
                .setProvider(p)
                .setModel(m)
                .setOutcome(o)
                .setHttpStatus(o == OutcomeClass.SUCCESS ? 200 : 429)
                .setStartedAt(at)
                .setLatencyMs(3)
                .setDecision(d)
                .build();
    }

    private static long heap() throws InterruptedException {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
            min = Math.min(
                    min,
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }
}
