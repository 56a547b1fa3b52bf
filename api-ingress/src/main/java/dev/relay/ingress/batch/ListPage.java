package dev.relay.ingress.batch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * OpenAI's cursor pagination, as {@code GET /v1/batches} and {@code GET /v1/files} answer it: {@code after} names the
 * last id of the previous page, {@code limit} caps the page, and the answer is a list object with {@code data},
 * {@code first_id}, {@code last_id} and {@code has_more}.
 */
final class ListPage {

    private ListPage() {}

    /** The {@code limit} query parameter: {@code dflt} when absent, else an integer from 1 to {@code max} (else 400). */
    static int limit(String raw, int dflt, int max) {
        if (raw == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(raw);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.invalid("limit", "invalid_value", "limit must be an integer from 1 to " + max);
    }

    /**
     * The page of {@code all} (in the order to list) that starts behind the item whose id is {@code after} (null:
     * from the first), at most {@code limit} items, each shown as {@code render} makes it. An {@code after} that
     * names no item gives an empty page, as an id past the end does.
     */
    static ObjectNode of(List<ObjectNode> all, String after, int limit, UnaryOperator<ObjectNode> render) {
        int start = after == null ? 0 : indexOf(all, after) + 1;
        List<ObjectNode> page = all.subList(start, Math.min(start + limit, all.size()));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        page.forEach(r -> data.add(render.apply(r)));
        out.put("first_id", page.isEmpty() ? null : id(page.get(0)));
        out.put("last_id", page.isEmpty() ? null : id(page.get(page.size() - 1)));
        out.put("has_more", start + page.size() < all.size());
        return out;
    }

    /** The index of the item with this id; the last index when there is none, so the page after it is empty. */
    private static int indexOf(List<ObjectNode> all, String id) {
        for (int i = 0; i < all.size(); i++) {
            if (id(all.get(i)).equals(id)) {
                return i;
            }
        }
        return all.size() - 1;
    }

    private static String id(ObjectNode item) {
        return item.path("id").asText();
    }
}
