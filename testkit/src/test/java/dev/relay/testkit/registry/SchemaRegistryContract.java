package dev.relay.testkit.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.schemas.serde.SchemaRegistryClient;
import dev.relay.schemas.serde.SchemaRegistryException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * What Relay's serde needs from a Confluent-API registry. Runs against the real Apicurio and against
 * {@link InMemorySchemaRegistry}, so the fake used by fast unit tests behaves like the real thing.
 */
abstract class SchemaRegistryContract {

    /** The base URL of the Confluent API. */
    abstract String url();

    static final Schema V1 = parse("""
            {"type":"record","name":"Thing","namespace":"contract","fields":[{"name":"id","type":"string"}]}""");
    static final Schema V2_COMPATIBLE = parse("""
            {"type":"record","name":"Thing","namespace":"contract","fields":[{"name":"id","type":"string"},
             {"name":"note","type":["null","string"],"default":null}]}""");
    static final Schema V2_INCOMPATIBLE = parse("""
            {"type":"record","name":"Thing","namespace":"contract","fields":[{"name":"id","type":"string"},
             {"name":"size","type":"int"}]}""");

    static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }

    /** A client with empty caches, so every answer comes from the server. */
    SchemaRegistryClient client() {
        return SchemaRegistryClient.create(url());
    }

    static String subject() {
        return "contract-" + UUID.randomUUID() + "-value";
    }

    @Test
    void shouldReturnTheSameIdWhenTheSameSchemaIsRegisteredTwice() {
        String subject = subject();
        int first = client().register(subject, V1);
        int second = client().register(subject, V1);
        assertThat(second).isEqualTo(first);
        assertThat(client().getLatest(subject).version()).isEqualTo(1);
    }

    @Test
    void shouldNotMakeANewIdWhenOnlyWhitespaceDiffers() {
        String subject = subject();
        int id = client().register(subject, V1);
        Schema spaced = parse(V1.toString(true)); // same content, pretty-printed: still the same schema
        assertThat(client().register(subject, spaced)).isEqualTo(id);
    }

    @Test
    void shouldShareOneIdAcrossSubjectsForTheSameContent() {
        int a = client().register(subject(), V2_COMPATIBLE);
        int b = client().register(subject(), V2_COMPATIBLE);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void shouldGetTheSchemaById() {
        int id = client().register(subject(), V1);
        assertThat(client().getById(id)).isEqualTo(V1);
    }

    @Test
    void shouldGetTheLatestVersionAfterACompatibleChange() {
        String subject = subject();
        client().register(subject, V1);
        int id2 = client().register(subject, V2_COMPATIBLE);
        SchemaRegistryClient.RegisteredSchema latest = client().getLatest(subject);
        assertThat(latest.id()).isEqualTo(id2);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.schema()).isEqualTo(V2_COMPATIBLE);
        assertThat(client().getVersion(subject, "1").schema()).isEqualTo(V1);
    }

    @Test
    void shouldAnswerTheCompatibilityCheckUnderBackward() {
        String subject = subject();
        client().register(subject, V1);
        assertThat(client().isCompatible(subject, V2_COMPATIBLE)).isTrue();
        assertThat(client().isCompatible(subject, V2_INCOMPATIBLE)).isFalse();
    }

    @Test
    void shouldRefuseAnIncompatibleSchemaWith409() {
        String subject = subject();
        client().register(subject, V1);
        assertThatThrownBy(() -> client().register(subject, V2_INCOMPATIBLE))
                .isInstanceOf(SchemaRegistryException.Incompatible.class)
                .satisfies(
                        e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
        assertThat(client().getLatest(subject).version()).isEqualTo(1);
    }

    @Test
    void shouldAcceptAnIncompatibleSchemaWhenTheSubjectIsSetToNone() {
        String subject = subject();
        client().register(subject, V1);
        client().setCompatibility(subject, "NONE");
        client().register(subject, V2_INCOMPATIBLE);
        assertThat(client().getLatest(subject).schema()).isEqualTo(V2_INCOMPATIBLE);
    }

    @Test
    void shouldThrowNotFoundWith40403ForAnUnknownId() {
        assertThatThrownBy(() -> client().getById(987_654_321))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.NotFound.class,
                        e -> assertThat(e.errorCode()).isEqualTo(40403));
    }

    @Test
    void shouldThrowNotFoundWith40401ForAnUnknownSubject() {
        assertThatThrownBy(() -> client().getLatest(subject()))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.NotFound.class,
                        e -> assertThat(e.errorCode()).isEqualTo(40401));
    }

    @Test
    void shouldTreatAnUnknownSubjectAsCompatible() {
        assertThat(client().isCompatible(subject(), V2_INCOMPATIBLE)).isTrue();
    }

    @Test
    void shouldRefuseAnInvalidSchemaWith42201() throws Exception {
        // the client only sends valid Avro, so this goes over raw HTTP
        String badSchema = """
                {"type":"record","name":"Bad","fields":[{"name":"a","type":"no.such.Type"}]}""";
        String body =
                new ObjectMapper().createObjectNode().put("schema", badSchema).toString();
        HttpResponse<String> resp = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url() + "/subjects/" + subject() + "/versions"))
                                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(422);
        assertThat(resp.body()).contains("42201");
    }

    @Test
    void shouldListRegisteredSubjects() {
        String subject = subject();
        client().register(subject, V1);
        assertThat(client().subjects()).contains(subject);
    }

    @Test
    void shouldLookUpTheIdOfAnExistingSchemaWithoutRegisteringIt() {
        String subject = subject();
        int id1 = client().register(subject, V1);
        client().register(subject, V2_COMPATIBLE);
        assertThat(client().lookup(subject, V1)).isEqualTo(id1);
        assertThatThrownBy(() -> client().lookup(subject, V2_INCOMPATIBLE))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.NotFound.class,
                        e -> assertThat(e.errorCode()).isEqualTo(40403));
    }

    @Test
    void shouldResolveSchemaReferencesWhenReadingById() {
        Schema status = parse("""
                {"type":"enum","name":"Status","namespace":"contract","symbols":["OK","FAILED"]}""");
        String statusSubject = "contract-" + UUID.randomUUID() + "-Status";
        client().register(statusSubject, status);
        Schema.Parser withStatus = new Schema.Parser();
        withStatus.parse(status.toString());
        Schema outcome = withStatus.parse("""
                {"type":"record","name":"Outcome","namespace":"contract","fields":[{"name":"status","type":"Status"}]}""");
        // the record goes to the registry naming contract.Status only; the reference says where it is defined
        int id = client().register(
                        subject(),
                        outcome,
                        List.of(new SchemaRegistryClient.SchemaReference("contract.Status", statusSubject, 1)));

        Schema read = client().getById(id);
        assertThat(read.getField("status").schema()).isEqualTo(status);
        assertThat(read).isEqualTo(outcome);
    }

    @Test
    void shouldKeepWorkingWithBasicAndBearerAuthorization() {
        String subject = subject();
        int id = SchemaRegistryClient.withBasicAuth(url(), "relay", "s3cret").register(subject, V1);
        assertThat(SchemaRegistryClient.withBearerToken(url(), "tok-123").getById(id))
                .isEqualTo(V1);
        assertThat(id).isPositive();
    }
}
