package dev.relay.testkit.logstore;

import dev.relay.schemas.AttemptRecord;
import dev.relay.schemas.ChatRequest;
import dev.relay.schemas.ContentPart;
import dev.relay.schemas.Decision;
import dev.relay.schemas.ErrorInfo;
import dev.relay.schemas.FailedJob;
import dev.relay.schemas.Job;
import dev.relay.schemas.JobResult;
import dev.relay.schemas.JobStatus;
import dev.relay.schemas.Message;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Deterministic jobs with their attempts, results and failures, as the processor would write them, for the log
 * store's tests (api-ingress) and its benchmark (bench): job {@code i} has 1 to 4 attempts (2.6 on average): a quarter
 * succeed on the primary, most fall back once or twice (some after a retry), one in eight fails everywhere. Every
 * seventh prompt says "about kafka", the others "about the weather".
 */
public final class SyntheticLog {

    static final String[] PROVIDERS = {"openai", "anthropic", "gemini", "groq"};
    static final OutcomeClass[] FAILURES = {
        OutcomeClass.RATE_LIMITED, OutcomeClass.TRANSIENT, OutcomeClass.TIMEOUT, OutcomeClass.AUTH
    };

    public record Records(
            List<Job> jobs, List<AttemptRecord> attempts, List<JobResult> results, List<FailedJob> failed) {}

    public static Records generate(int jobs, long start, long seed) {
        Random r = new Random(seed);
        List<Job> js = new ArrayList<>();
        List<AttemptRecord> as = new ArrayList<>();
        List<JobResult> rs = new ArrayList<>();
        List<FailedJob> fs = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            String id = "job-" + i;
            long at = start + i * 10L;
            List<Target> chain = List.of(
                    new Target(PROVIDERS[i % 4], "m" + (i % 3)),
                    new Target(PROVIDERS[(i + 1) % 4], "m1"),
                    new Target(PROVIDERS[(i + 2) % 4], "m2"));
            Job job = Job.newBuilder()
                    .setJobId(id)
                    .setSubmittedAt(Instant.ofEpochMilli(at))
                    .setTenant("tenant-" + (i % 5))
                    .setBatchId(i % 50 == 0 ? "batch-" + (i / 1000) : null)
                    .setRequest(ChatRequest.newBuilder()
                            .setMessages(List.of(Message.newBuilder()
                                    .setRole("user")
                                    .setContent(List.of(ContentPart.newBuilder()
                                            .setType("text")
                                            .setText("question " + i
                                                    + (i % 7 == 0 ? " about kafka" : " about the weather"))
                                            .build()))
                                    .build()))
                            .build())
                    .setChain(chain)
                    .setMetadata(Map.of("team", "t" + (i % 3)))
                    .build();
            js.add(job);
            // 2.6 attempts per job on average: 1 (25 %), 2 (12.5 %), 3 (25 %), 4 (25 %), 3 all failed (12.5 %)
            int roll = r.nextInt(8);
            int failures = roll < 2 ? 0 : roll < 3 ? 1 : roll < 5 ? 2 : 3;
            boolean allFail = roll == 7;
            int hop = 0;
            long t = at;
            for (int k = 0; k < failures; k++) {
                OutcomeClass cls = FAILURES[(i + k) % FAILURES.length];
                int h = Math.min(k, chain.size() - 1);
                as.add(attempt(
                        id,
                        h,
                        1,
                        chain.get(h),
                        t,
                        40 + r.nextInt(200),
                        cls,
                        k == failures - 1 && allFail ? Decision.GIVE_UP : Decision.NEXT_HOP));
                t += 100;
                hop = Math.min(k + 1, chain.size() - 1);
            }
            if (!allFail) {
                as.add(attempt(
                        id,
                        hop,
                        failures == 3 ? 2 : 1,
                        chain.get(hop),
                        t,
                        100 + r.nextInt(900),
                        OutcomeClass.SUCCESS,
                        Decision.RETURNED));
            }
            JobResult.Builder res = JobResult.newBuilder()
                    .setJobId(id)
                    .setSubmittedAt(Instant.ofEpochMilli(at))
                    .setCompletedAt(Instant.ofEpochMilli(t + 500))
                    .setTotalLatencyMs(t + 500 - at)
                    .setAttemptCount(failures + (allFail ? 0 : 1))
                    .setTenant(job.getTenant())
                    .setBatchId(job.getBatchId())
                    .setMetadata(job.getMetadata());
            if (allFail) {
                ErrorInfo err = ErrorInfo.newBuilder()
                        .setHttpStatus(429)
                        .setMessage("rate limited")
                        .setType("rate_limit_error")
                        .setOutcome(FAILURES[i % FAILURES.length])
                        .build();
                rs.add(res.setStatus(JobStatus.FAILED)
                        .setError(err)
                        .setProvider(chain.get(0).getProvider())
                        .setModel(chain.get(0).getModel())
                        .setHop(0)
                        .build());
                fs.add(FailedJob.newBuilder()
                        .setJob(job)
                        .setAttempts(List.of())
                        .setTerminalReason("CHAIN_EXHAUSTED")
                        .setFinalOutcome(err.getOutcome())
                        .setError(err)
                        .setFailedAt(Instant.ofEpochMilli(t + 500))
                        .build());
            } else {
                rs.add(res.setStatus(JobStatus.SUCCEEDED)
                        .setResponseJson("{\"id\":\"c" + i + "\",\"choices\":[]}")
                        .setProvider(chain.get(hop).getProvider())
                        .setModel(chain.get(hop).getModel())
                        .setHop(hop)
                        .build());
            }
        }
        return new Records(js, as, rs, fs);
    }

    private static AttemptRecord attempt(
            String id, int hop, int n, Target t, long start, long latency, OutcomeClass cls, Decision d) {
        return AttemptRecord.newBuilder()
                .setJobId(id)
                .setHop(hop)
                .setAttempt(n)
                .setProvider(t.getProvider())
                .setModel(t.getModel())
                .setKeyName(t.getProvider() + "-key-1")
                .setStartedAt(Instant.ofEpochMilli(start))
                .setEndedAt(Instant.ofEpochMilli(start + latency))
                .setLatencyMs(latency)
                .setOutcome(cls)
                .setHttpStatus(cls == OutcomeClass.SUCCESS ? 200 : 429)
                .setDecision(d)
                .build();
    }
}
