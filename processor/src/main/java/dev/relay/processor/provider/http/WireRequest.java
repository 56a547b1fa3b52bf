package dev.relay.processor.provider.http;

import java.util.Map;

/**
 * What an adapter puts on the wire: the path and query relative to the provider's base URL, the headers (the key
 * among them) and the JSON body. {@link #toString()} leaves the headers out so the key can never be printed.
 */
public record WireRequest(String pathAndQuery, Map<String, String> headers, byte[] body) {

    /** The same request with another body. */
    public WireRequest withBody(byte[] newBody) {
        return new WireRequest(pathAndQuery, headers, newBody);
    }

    @Override
    public String toString() {
        return "WireRequest[" + pathAndQuery + ", " + body.length + " bytes, headers " + headers.keySet() + "]";
    }
}
