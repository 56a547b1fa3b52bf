package dev.relay.bench.ingress;

import dev.relay.ingress.kafka.JobView;
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
 * Heap per job the ingress's in-memory view holds: N accepted jobs (hop-0 records) and N results, each with a short
 * chat.completion (about 400 bytes of JSON) and two attempts. Run:
 * {@code java -cp $CP dev.relay.bench.ingress.JobViewMemoryBench 200000}.
 */
public final class JobViewMemoryBench {

    private JobViewMemoryBench() {}

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        String completion = "{\"id\":\"chatcmpl-abc123\",\"object\":\"chat.completion\",\"created\":1700000000,"
                + "\"model\":\"claude-3-5-haiku\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"Here is a short answer of about a hundred characters, as many chat answers are.\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":24,\"total_tokens\":36}}";
        JobView view = new JobView(Clock.systemUTC(), Duration.ofHours(24));
        long base = heap();
        List<Target> chain = List.of(Target.newBuilder().setProvider("openai").setModel("gpt-4o-mini").build(),
                Target.newBuilder().setProvider("anthropic").setModel("claude-3-5-haiku").build());
        ChatRequest req = ChatRequest.newBuilder().setMessages(List.of(Message.newBuilder().setRole("user")
                .setContent(List.of(ContentPart.newBuilder().setType("text").setText("hi").build())).build())).build();
        for (int i = 0; i < n; i++) {
            String id = "job_" + Long.toHexString(Double.doubleToLongBits(Math.random())) + Integer.toHexString(i);
            Instant now = Instant.now();
            view.onJob(Job.newBuilder().setJobId(id).setSubmittedAt(now).setRequest(req).setChain(chain).build());
            List<AttemptSummary> attempts = List.of(
                    attempt("openai", "gpt-4o-mini", 0, OutcomeClass.RATE_LIMITED, Decision.NEXT_HOP, now),
                    attempt("anthropic", "claude-3-5-haiku", 1, OutcomeClass.SUCCESS, Decision.RETURNED, now));
            view.onResult(JobResult.newBuilder().setJobId(id).setStatus(JobStatus.SUCCEEDED)
                    .setResponseJson(new String(completion.toCharArray())).setProvider("anthropic")
                    .setModel("claude-3-5-haiku").setHop(1).setSubmittedAt(now).setCompletedAt(now).setTotalLatencyMs(5)
                    .setAttemptCount(2).setAttempts(attempts).build());
        }
        long used = heap() - base;
        System.out.printf("%d jobs with results: +%.1f MB heap, %.0f bytes per job (%d entries in the view)%n", n,
                used / 1e6, (double) used / n, view.size());
    }

    private static AttemptSummary attempt(String p, String m, int hop, OutcomeClass o, Decision d, Instant at) {
        return AttemptSummary.newBuilder().setHop(hop).setAttempt(1).setProvider(p).setModel(m).setOutcome(o)
                .setHttpStatus(o == OutcomeClass.SUCCESS ? 200 : 429).setStartedAt(at).setLatencyMs(3).setDecision(d)
                .build();
    }

    private static long heap() throws InterruptedException {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
            min = Math.min(min, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }
}
