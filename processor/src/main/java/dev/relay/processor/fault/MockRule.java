package dev.relay.processor.fault;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * One validated mocker rule. Conditions that are set must all match (empty lists match everything); the rule then
 * fires with {@code probability}, waits its latency and answers with one of its responses chosen by weight.
 */
record MockRule(
        String name,
        boolean enabled,
        int priority,
        double probability,
        Set<String> providers,
        Set<String> models,
        Optional<Pattern> messageRegex,
        Optional<SizeRange> requestSize,
        List<MockResponse> responses,
        LatencySpec latency) {

    /** Bifrost's {@code request_size}, in bytes, against an approximate request size (provider, model, text). */
    record SizeRange(int min, int max) {}

    boolean matches(String provider, String model, String messageText) {
        if (!providers.isEmpty() && !providers.contains(provider)) {
            return false;
        }
        if (!models.isEmpty() && !models.contains(model)) {
            return false;
        }
        if (messageRegex.isPresent() && !messageRegex.get().matcher(messageText).find()) {
            return false;
        }
        if (requestSize.isPresent()) {
            int size = (provider + model + messageText).getBytes(StandardCharsets.UTF_8).length;
            return size >= requestSize.get().min() && size <= requestSize.get().max();
        }
        return true;
    }

    /** Weighted choice; all weights are positive after validation (Bifrost: 0 means the default 1). */
    MockResponse pick(RandomGenerator random) {
        if (responses.size() == 1) {
            return responses.getFirst();
        }
        double total = responses.stream().mapToDouble(MockResponse::weight).sum();
        double point = random.nextDouble() * total;
        for (MockResponse r : responses) {
            point -= r.weight();
            if (point < 0) {
                return r;
            }
        }
        return responses.getLast();
    }
}
