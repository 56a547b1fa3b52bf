package dev.relay.ingress.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.kafka.JobView;
import io.javalin.http.Context;

/** {@code POST /v1/jobs} (202, no waiting) and {@code GET /v1/jobs/{id}}. */
public final class JobsHandler {

    private final BodyReader bodies;
    private final JobSubmitter submitter;
    private final JobView view;
    private final ResultRenderer renderer;
    private final ObjectMapper json;
    private final StreamHandler streams;

    public JobsHandler(
            BodyReader bodies, JobSubmitter submitter, JobView view, ResultRenderer renderer, ObjectMapper json) {
        this(bodies, submitter, view, renderer, json, null);
    }

    /** {@code streams} gives a job with {@code stream: true} its StreamSpec (null: refused with a 400). */
    public JobsHandler(
            BodyReader bodies,
            JobSubmitter submitter,
            JobView view,
            ResultRenderer renderer,
            ObjectMapper json,
            StreamHandler streams) {
        this.streams = streams;
        this.bodies = bodies;
        this.submitter = submitter;
        this.view = view;
        this.renderer = renderer;
        this.json = json;
    }

    public void submit(Context ctx) {
        var body = bodies.jsonObject(ctx);
        var spec = StreamRequests.wanted(body) && streams != null ? streams.spec(ctx, body) : null;
        JobSubmitter.Accepted a =
                submitter.submit(body, Auth.tenant(ctx), ctx.header("Idempotency-Key"), true, false, spec, null);
        ObjectNode out = json.createObjectNode();
        out.put("id", a.jobId());
        out.put("object", "relay.job");
        out.put("status", view.state(a.jobId()).map(JobView.JobState::status).orElse("queued"));
        if (!a.created()) {
            ctx.header("Idempotent-Replayed", "true");
        }
        ctx.header(ChatHandler.JOB_ID_HEADER, a.jobId());
        Responses.json(ctx, 202, out, json);
    }

    public void get(Context ctx) {
        String id = ctx.pathParam("id");
        JobView.JobState state = view.state(id)
                .orElseThrow(() -> new ApiException(
                        404, "invalid_request_error", "id", "job_not_found", "no job with id '" + id + "'"));
        Responses.json(ctx, 200, renderer.job(state), json);
    }
}
