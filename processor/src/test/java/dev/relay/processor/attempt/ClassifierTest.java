package dev.relay.processor.attempt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClassifierTest {

    @ParameterizedTest(name = "{0} type={1} code={2} -> {4}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            429 | requests                | rate_limit_exceeded      | Rate limit reached                    | RATE_LIMITED
            498 | -                       | capacity_exceeded        | flex tier capacity                    | RATE_LIMITED
            429 | RESOURCE_EXHAUSTED      | -                        | You exceeded your current quota       | RATE_LIMITED
            429 | insufficient_quota      | insufficient_quota       | You exceeded your current quota       | QUOTA
            402 | -                       | 402                      | Insufficient credits                  | QUOTA
            400 | invalid_request_error   | -                        | Your credit balance is too low        | QUOTA
            402 | billing_error           | -                        | billing                               | QUOTA
            500 | server_error            | -                        | The server had an error               | TRANSIENT
            502 | -                       | -                        | Bad gateway                           | TRANSIENT
            503 | UNAVAILABLE             | -                        | The model is overloaded               | TRANSIENT
            504 | timeout_error           | -                        | -                                     | TRANSIENT
            529 | overloaded_error        | -                        | Overloaded                            | TRANSIENT
            401 | invalid_request_error   | invalid_api_key          | Incorrect API key provided            | AUTH
            401 | authentication_error    | -                        | invalid x-api-key                     | AUTH
            403 | permission_error        | -                        | not allowed                           | AUTH
            403 | PERMISSION_DENIED       | -                        | unregistered callers                  | AUTH
            400 | INVALID_ARGUMENT        | API_KEY_INVALID          | API key not valid                     | AUTH
            404 | invalid_request_error   | model_not_found          | The model does not exist              | MODEL_UNAVAILABLE
            404 | not_found_error         | -                        | model: claude-9                       | MODEL_UNAVAILABLE
            404 | NOT_FOUND               | -                        | models/gemini-9 is not found          | MODEL_UNAVAILABLE
            404 | -                       | DeploymentNotFound       | The API deployment does not exist     | MODEL_UNAVAILABLE
            400 | invalid_request_error   | context_length_exceeded  | maximum context length is 128000      | CONTEXT_LENGTH
            400 | invalid_request_error   | -                        | prompt is too long: 208656 tokens     | CONTEXT_LENGTH
            400 | INVALID_ARGUMENT        | -                        | exceeds the maximum number of tokens  | CONTEXT_LENGTH
            413 | request_too_large       | -                        | Request exceeds the maximum size      | CONTEXT_LENGTH
            400 | -                       | content_filter           | content management policy             | CONTENT_FILTERED
            400 | invalid_request_error   | invalid_prompt           | flagged as potentially violating      | CONTENT_FILTERED
            403 | moderation              | 403                      | Your input was flagged                | CONTENT_FILTERED
            400 | invalid_request_error   | invalid_type             | Invalid type for 'temperature'        | INVALID_REQUEST
            422 | -                       | -                        | validation error                      | INVALID_REQUEST
            409 | -                       | -                        | conflict                              | INVALID_REQUEST
            408 | -                       | -                        | request timeout                       | TIMEOUT
            """)
    void shouldClassifyProviderAnswers(int status, String type, String code, String message, FailureClass expected) {
        assertThat(Classifier.classify(status, type, code, message)).isEqualTo(expected);
    }

    @Test
    void shouldClassifyTransportExceptionsEvenWhenWrapped() {
        assertThat(Classifier.classify(new HttpTimeoutException("request timed out")))
                .isEqualTo(FailureClass.TIMEOUT);
        assertThat(Classifier.classify(new CompletionException(new HttpTimeoutException("t"))))
                .isEqualTo(FailureClass.TIMEOUT);
        assertThat(Classifier.classify(new HttpConnectTimeoutException("connect")))
                .isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new ConnectException("refused"))).isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new UnknownHostException("no.such.host")))
                .isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new SSLHandshakeException("bad cert"))).isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new ExecutionException(new IOException("Connection reset"))))
                .isEqualTo(FailureClass.NETWORK);
    }

    @Test
    void shouldClassifyAnUnexpectedExceptionAsABugNotAnOutage() {
        assertThat(Classifier.classify(new NullPointerException("mapper"))).isEqualTo(FailureClass.INTERNAL);
        assertThat(Classifier.classify(new CompletionException(new IllegalStateException("mapper"))))
                .isEqualTo(FailureClass.INTERNAL);
        assertThat(Classifier.classify(new ClassCastException())).isEqualTo(FailureClass.INTERNAL);
        assertThat(Classifier.classify(null)).isEqualTo(FailureClass.INTERNAL); // completed with no outcome
        // still transport failures, however they are wrapped
        assertThat(Classifier.classify(new UncheckedIOException(new IOException("Connection reset"))))
                .isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new RejectedExecutionException("shutting down")))
                .isEqualTo(FailureClass.NETWORK);
        assertThat(Classifier.classify(new CancellationException())).isEqualTo(FailureClass.TIMEOUT);
    }

    @Test
    void shouldReportMissingKeyAsAuthAndUnusableBodyAsTruncated() {
        assertThat(Classifier.missingKey()).isEqualTo(FailureClass.AUTH);
        assertThat(Classifier.unusableBody()).isEqualTo(FailureClass.TRUNCATED);
    }
}
