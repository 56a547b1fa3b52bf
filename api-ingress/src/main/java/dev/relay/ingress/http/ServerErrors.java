package dev.relay.ingress.http;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's error handler, for the errors the HTTP server raises before the router sees the request (a header or URL
 * too large, a bad path such as {@code %00}, an unreadable request line): OpenAI's error body from
 * {@link ErrorMapper#serverError} with the server's status, instead of Jetty's HTML page.
 */
public final class ServerErrors extends ErrorHandler {

    private final ErrorMapper errors;

    public ServerErrors(ErrorMapper errors) {
        this.errors = errors;
    }

    /** A request Jetty could not parse at all: the answer goes out without a request object. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(errors.serverError(status, reason));
    }

    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateAcceptableResponse(
            Request baseRequest, HttpServletRequest request, HttpServletResponse response, int code, String message)
            throws IOException {
        byte[] body = errors.serverError(code, message);
        baseRequest.setHandled(true);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
