package dev.relay.replay;

import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import java.util.Set;

/**
 * The selection filters; an empty set means "any". Within one option the values are alternatives (OR); different
 * options must all match (AND). {@code providers} and {@code models} match any target of the job's chain; a model
 * filter may be {@code model} or {@code provider/model}. {@code errorClasses} match the final outcome class (the
 * class of the error the caller got).
 */
public record JobFilter(
        Set<String> jobIds,
        Set<OutcomeClass> errorClasses,
        Set<String> providers,
        Set<String> models,
        Set<String> batchIds,
        Set<String> tenants) {

    public JobFilter {
        jobIds = Set.copyOf(jobIds);
        errorClasses = Set.copyOf(errorClasses);
        providers = Set.copyOf(providers);
        models = Set.copyOf(models);
        batchIds = Set.copyOf(batchIds);
        tenants = Set.copyOf(tenants);
    }

    public static JobFilter any() {
        return new JobFilter(Set.of(), Set.of(), Set.of(), Set.of(), Set.of(), Set.of());
    }

    /** A cheap test on the record key, before the value is decoded. */
    public boolean keyMayMatch(String jobId) {
        return jobIds.isEmpty() || (jobId != null && jobIds.contains(jobId));
    }

    public boolean matches(Candidate c) {
        return keyMayMatch(c.jobId())
                && (errorClasses.isEmpty() || errorClasses.contains(c.errorClass()))
                && (providers.isEmpty() || c.chain().stream().anyMatch(t -> providers.contains(t.getProvider())))
                && (models.isEmpty() || c.chain().stream().anyMatch(this::modelMatches))
                && (batchIds.isEmpty() || (c.batchId() != null && batchIds.contains(c.batchId())))
                && (tenants.isEmpty() || (c.tenant() != null && tenants.contains(c.tenant())));
    }

    private boolean modelMatches(Target t) {
        return models.contains(t.getModel()) || models.contains(t.getProvider() + "/" + t.getModel());
    }

    public boolean isEmpty() {
        return jobIds.isEmpty()
                && errorClasses.isEmpty()
                && providers.isEmpty()
                && models.isEmpty()
                && batchIds.isEmpty()
                && tenants.isEmpty();
    }
}
