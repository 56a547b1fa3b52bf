package dev.relay.ingress.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TargetGuardTest {

    private final TargetGuard strict = new TargetGuard(false);
    private final TargetGuard lenient = new TargetGuard(true);

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://127.0.0.1/x",
                "http://localhost:8080/",
                "http://10.1.2.3/",
                "http://192.168.0.1/",
                "http://172.16.5.5/",
                "http://169.254.169.254/latest/meta-data",
                "http://[::1]/",
                "http://[fd00::1]/",
                "http://[fe80::1]/",
                "http://0.0.0.0/",
                "http://100.64.0.1/",
                "http://[::ffff:127.0.0.1]/"
            })
    void shouldRefusePrivateLoopbackAndLinkLocalTargets(String url) {
        assertThat(strict.checkResolved(url).allowed()).as(url).isFalse();
        assertThat(lenient.checkResolved(url).allowed()).as(url).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ftp://example.com/",
                "file:///etc/passwd",
                "not a url",
                "http:///nohost",
                "http://user:pw@example.com/"
            })
    void shouldRefuseWhatIsNotAPlainHttpUrlEvenWhenPrivateTargetsAreAllowed(String url) {
        assertThat(lenient.checkResolved(url).allowed()).as(url).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://8.8.8.8/hook", "http://93.184.215.14:8080/x"})
    void shouldAllowPublicAddresses(String url) {
        assertThat(strict.checkResolved(url).allowed()).as(url).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://loopback.relay.test/x",
                "https://private.relay.test/hook",
                "http://metadata.relay.test/latest",
                "https://mixed.relay.test/hook",
                "https://nowhere.relay.test/hook"
            })
    void shouldResolveHostNamesAndRefuseIfAnyAddressIsPrivate(String url) {
        // names from the test JVM's hosts file (src/test/resources/test-hosts); mixed has a public and a private one
        assertThat(strict.checkSyntaxAndLiteral(url).allowed()).as(url).isTrue();
        assertThat(strict.checkResolved(url).allowed()).as(url).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://public.relay.test/hook", "https://8.8.8.8/hook"})
    void shouldResolveHostNamesToPublicAddresses(String url) {
        assertThat(strict.checkResolved(url).allowed()).as(url).isTrue();
    }
}
