package dev.relay.replay;

import dev.relay.config.ConfigException;
import dev.relay.config.ConfigLoader;
import dev.relay.config.RelayConfig;
import dev.relay.schemas.OutcomeClass;
import dev.relay.schemas.Target;
import dev.relay.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code relay replay}: options and their validation; {@link ReplayRun} does the work. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpWidth = 120,
        description = {
            "Find failed jobs in the log (relay.failed) and send them through the chain again.",
            "Dry run by default: prints what would be replayed and writes nothing. --execute republishes."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:nothing matched the selection",
            "2:usage error (bad option value)",
            "3:broker or schema registry unreachable",
            "70:unexpected error",
            "130:interrupted (run again to finish)"
        },
        footer = {
            "%nExamples:",
            "  relay replay --config config.json --since 2h --error-class TRANSIENT,RATE_LIMITED",
            "  relay replay --config config.json --since 2026-11-24T20:00:00Z --until 2026-11-24T21:00:00Z \\",
            "      --provider openai --chain \"anthropic/claude-sonnet-4-5,gemini/gemini-2.5-flash\" --execute --rate 50",
            "See docs/replay.md."
        })
final class ReplayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "Relay config.json (kafka section, providers); default $RELAY_CONFIG, else ./config.json if present.")
    Path config;

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT,...",
            description = "Overrides kafka.bootstrap_servers.")
    String bootstrapServers;

    @Option(names = "--registry-url", paramLabel = "URL", description = "Overrides kafka.schema_registry_url.")
    String registryUrl;

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            description = "Overrides kafka.topic_prefix (default relay.).")
    String topicPrefix;

    @Option(
            names = "--since",
            paramLabel = "TIME",
            description = "Failed at or after: ISO-8601 (2026-11-24T20:00:00Z, 2026-11-24) or relative (30m, 2h, 7d).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Failed before (same forms as --since).")
    String until;

    @Option(names = "--job-id", paramLabel = "ID", description = "Only this job id (repeatable).")
    List<String> jobIds = new ArrayList<>();

    @Option(names = "--job-ids-file", paramLabel = "FILE", description = "Job ids, one per line ('#' comments).")
    Path jobIdsFile;

    @Option(
            names = "--error-class",
            paramLabel = "CLASS",
            split = ",",
            description = "Final outcome class: TRANSIENT, RATE_LIMITED, QUOTA, TIMEOUT, NETWORK, AUTH, ...")
    List<String> errorClasses = new ArrayList<>();

    @Option(names = "--provider", paramLabel = "NAME", split = ",", description = "A provider in the job's chain.")
    List<String> providers = new ArrayList<>();

    @Option(
            names = "--model",
            paramLabel = "MODEL",
            split = ",",
            description = "A model (or provider/model) in the job's chain.")
    List<String> models = new ArrayList<>();

    @Option(names = "--batch-id", paramLabel = "ID", split = ",", description = "Only jobs of this batch.")
    List<String> batchIds = new ArrayList<>();

    @Option(names = "--tenant", paramLabel = "TENANT", split = ",", description = "Only jobs of this tenant.")
    List<String> tenants = new ArrayList<>();

    @Option(
            names = "--include-failed-results",
            description = "Also select FAILED results on relay.results (their job is read from relay.jobs).")
    boolean includeFailedResults;

    @Option(names = "--dry-run", description = "Print what would be replayed; write nothing (the default).")
    boolean dryRun;

    @Option(names = "--execute", description = "Republish the selected jobs to relay.jobs.")
    boolean execute;

    @Option(
            names = "--chain",
            paramLabel = "P/M,P/M",
            description = "Replace the chain: \"anthropic/claude-sonnet-4-5,gemini/gemini-2.5-flash\".")
    String chain;

    @Option(names = "--rate", paramLabel = "N", description = "At most N jobs per second (default: no limit).")
    double rate;

    @Option(names = "--force", description = "Replay even jobs that succeeded since or were replayed already.")
    boolean force;

    @Option(
            names = "--reason",
            paramLabel = "TEXT",
            description = "Why, recorded in each replayed job's origin (e.g. an incident id).")
    String reason;

    @Option(
            names = "--report",
            paramLabel = "FILE",
            description = "Write a JSON report: selected, replayed, skipped with reasons.")
    Path report;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "15s",
            description = "How long to wait for the broker and registry (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(
            names = "--commit-every",
            paramLabel = "N",
            defaultValue = "500",
            description = "Jobs per transaction (default ${DEFAULT-VALUE}).")
    int commitEvery;

    @Option(
            names = "--show",
            paramLabel = "N",
            defaultValue = "50",
            description = "Rows of the table to print (default ${DEFAULT-VALUE}).")
    int show;

    @Option(
            names = "--scan-threads",
            paramLabel = "N",
            description = "Consumers reading partitions in parallel (default: min(4, cores)).")
    Integer scanThreads;

    @Option(
            names = "--halt-after",
            hidden = true,
            defaultValue = "0",
            description = "Test hook: stop as if killed after N sends.")
    long haltAfter;

    private final Clock clock;

    ReplayCommand(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Integer call() {
        return new ReplayRun(
                        settings(),
                        spec.commandLine().getOut(),
                        spec.commandLine().getErr())
                .run();
    }

    /** Validates every option before anything connects, so usage errors answer at once with exit 2. */
    ReplayRun.Settings settings() {
        if (dryRun && execute) {
            throw ReplayException.usage("--dry-run and --execute exclude each other");
        }
        Instant from = since == null ? null : TimeSpec.parse("--since", since, clock);
        Instant to = until == null ? null : TimeSpec.parse("--until", until, clock);
        if (from != null && to != null && !from.isBefore(to)) {
            throw ReplayException.usage("--since (" + from + ") must be before --until (" + to + ")");
        }
        Duration wait = TimeSpec.relative("--timeout", checkDuration(timeout));
        if (rate < 0 || Double.isNaN(rate)) {
            throw ReplayException.usage("--rate: must be a positive number of jobs per second, was " + rate);
        }
        if (commitEvery < 1 || commitEvery > 100_000) {
            throw ReplayException.usage("--commit-every: must be 1..100000, was " + commitEvery);
        }
        RelayConfig cfg = loadConfig();
        String prefix =
                topicPrefix != null ? topicPrefix : cfg != null ? cfg.kafka().topicPrefix() : Topics.DEFAULT_PREFIX;
        int maxHops = cfg != null ? cfg.kafka().maxHops() : Topics.DEFAULT_MAX_HOPS;
        Topics topics = new Topics(prefix, maxHops);
        Set<String> knownProviders = cfg == null ? null : cfg.providers().keySet();
        List<Target> newChain = chain == null ? List.of() : ChainSpec.parse(chain, topics.maxChainLength());
        if (knownProviders != null) {
            for (Target t : newChain) {
                requireKnown("--chain", t.getProvider(), knownProviders);
            }
            providers.forEach(p -> requireKnown("--provider", p, knownProviders));
        }
        JobFilter filter = new JobFilter(
                jobIds(), errorClasses(), clean(providers), clean(models), clean(batchIds), clean(tenants));
        String bootstrap = bootstrapServers != null
                ? bootstrapServers
                : cfg != null ? cfg.kafka().bootstrapServers() : dev.relay.config.KafkaSettings.DEFAULT_BOOTSTRAP;
        String registry = registryUrl != null
                ? registryUrl
                : cfg != null ? cfg.kafka().schemaRegistryUrl() : dev.relay.config.KafkaSettings.DEFAULT_REGISTRY;
        Map<String, String> extra = cfg != null ? cfg.kafka().properties() : Map.of();
        return new ReplayRun.Settings(
                new KafkaClients(bootstrap, registry, wait, extra),
                topics,
                from,
                to,
                filter,
                includeFailedResults,
                execute,
                newChain,
                rate,
                force,
                report,
                commitEvery,
                Math.max(0, show),
                haltAfter,
                threads(),
                reason(),
                clock,
                options());
    }

    private String reason() {
        if (reason == null || reason.isBlank()) {
            return null;
        }
        if (reason.length() > 200 || reason.chars().anyMatch(Character::isISOControl)) {
            throw ReplayException.usage("--reason: at most 200 characters, one line");
        }
        return reason.trim();
    }

    private int threads() {
        if (scanThreads == null) {
            return Math.min(4, Runtime.getRuntime().availableProcessors());
        }
        if (scanThreads < 1 || scanThreads > 64) {
            throw ReplayException.usage("--scan-threads: must be 1..64, was " + scanThreads);
        }
        return scanThreads;
    }

    /** {@code --config}, else {@code RELAY_CONFIG}, else {@code ./config.json} if it exists (as the other commands). */
    private RelayConfig loadConfig() {
        Path file = config;
        if (file == null
                && System.getenv("RELAY_CONFIG") != null
                && !System.getenv("RELAY_CONFIG").isBlank()) {
            file = Path.of(System.getenv("RELAY_CONFIG"));
        }
        if (file == null && Files.isRegularFile(Path.of("config.json"))) {
            file = Path.of("config.json");
        }
        if (file == null) {
            return null;
        }
        config = file; // named in the report
        try {
            return ConfigLoader.fromSystemEnv().load(file);
        } catch (ConfigException e) {
            throw ReplayException.usage("--config: " + e.getMessage());
        }
    }

    private static String checkDuration(String text) {
        if (text == null
                || !text.trim().matches("(?:\\d+(?:ms|s|m|h))+")
                || text.trim().matches("0+(ms|s|m|h)")) {
            throw ReplayException.usage(
                    "--timeout: cannot read \"" + text + "\"; expected a duration such as 10s, 500ms, 2m");
        }
        return text.trim();
    }

    private Set<OutcomeClass> errorClasses() {
        Set<String> valid = Arrays.stream(OutcomeClass.values())
                .filter(c -> c != OutcomeClass.SUCCESS)
                .map(Enum::name)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<OutcomeClass> out = new LinkedHashSet<>();
        for (String raw : clean(errorClasses)) {
            String name = raw.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            if (!valid.contains(name)) {
                throw ReplayException.usage("--error-class: unknown class \"" + raw + "\"; expected one of " + valid);
            }
            out.add(OutcomeClass.valueOf(name));
        }
        return out;
    }

    private Set<String> jobIds() {
        Set<String> ids = new LinkedHashSet<>(clean(jobIds));
        if (jobIdsFile != null) {
            try {
                Files.readAllLines(jobIdsFile).stream()
                        .map(String::trim)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                        .forEach(ids::add);
            } catch (IOException e) {
                throw ReplayException.usage("--job-ids-file: cannot read " + jobIdsFile + ": " + e.getMessage());
            }
            if (ids.isEmpty()) {
                throw ReplayException.usage("--job-ids-file: " + jobIdsFile + " holds no job ids");
            }
        }
        return ids;
    }

    private static void requireKnown(String option, String provider, Set<String> known) {
        if (!known.contains(provider)) {
            throw ReplayException.usage(
                    option + ": unknown provider \"" + provider + "\"; the config has " + new TreeSet<>(known));
        }
    }

    private static Set<String> clean(List<String> values) {
        return values.stream()
                .map(String::trim)
                .filter(v -> !v.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** The options as given, for the report (no secrets: the config is named, not copied). */
    private Map<String, Object> options() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("config", config == null ? null : config.toString());
        o.put("since", since);
        o.put("until", until);
        o.put("job_ids", jobIds.size() + (jobIdsFile == null ? "" : " + file " + jobIdsFile));
        o.put("error_classes", errorClasses);
        o.put("providers", providers);
        o.put("models", models);
        o.put("batch_ids", batchIds);
        o.put("tenants", tenants);
        o.put("include_failed_results", includeFailedResults);
        o.put("chain", chain);
        o.put("rate", rate);
        o.put("force", force);
        o.put("reason", reason);
        return o;
    }
}
