package dev.relay.ingress.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.config.RelayConfig;
import dev.relay.ingress.http.ResultRenderer;
import dev.relay.ingress.kafka.JobView;
import dev.relay.ingress.logstore.LogStore;
import dev.relay.ingress.webhook.TargetGuard;
import dev.relay.ingress.webhook.WebhookSender;
import dev.relay.ingress.webhook.WebhookSigner;
import dev.relay.replay.KafkaClients;
import dev.relay.replay.ReplayService;
import dev.relay.schemas.Topics;
import io.javalin.Javalin;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;

/** Wires the dashboard onto the ingress's server: the page and assets at {@code /}, the API beside it. */
public final class Dashboard implements AutoCloseable {

    private final Admin admin;
    private final Redeliveries redeliveries;

    private Dashboard(Admin admin, Redeliveries redeliveries) {
        this.admin = admin;
        this.redeliveries = redeliveries;
    }

    public static Dashboard register(Javalin app, RelayConfig config, LogStore store, JobView view, Clock clock) {
        ObjectMapper json = new ObjectMapper();
        var kafka = config.kafka();
        Topics topics = new Topics(kafka.topicPrefix(), kafka.maxHops());
        Map<String, Object> props = new HashMap<>(kafka.properties());
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        Admin admin = Admin.create(props);
        QueueLag lag = new QueueLag(admin, topics, kafka.applicationId());
        ReplayService replay = new ReplayService(
                new KafkaClients(
                        kafka.bootstrapServers(),
                        kafka.schemaRegistryUrl(),
                        Duration.ofSeconds(15),
                        kafka.properties()),
                topics,
                clock);
        var ws = config.webhooks();
        WebhookSender sender =
                new WebhookSender(ws, new WebhookSigner(ws.secret()), new TargetGuard(ws.allowPrivateTargets()), clock);
        Redeliveries redeliveries =
                new Redeliveries(props, sender, view, new ResultRenderer(json), topics, json, clock);
        DashboardAccess access =
                new DashboardAccess(config.ingress().apiKeys(), config.ingress().adminKeys());
        new Assets().register(app);
        new DashboardApi(store, config, access, lag::lag, new ReplayRuns(replay, json), redeliveries, json)
                .register(app);
        return new Dashboard(admin, redeliveries);
    }

    @Override
    public void close() {
        redeliveries.close();
        admin.close(Duration.ofSeconds(2));
    }
}
