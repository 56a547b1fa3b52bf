package dev.relay.ingress.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.ingress.http.ApiException;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ListPageTest {

    private static final List<ObjectNode> FIVE = IntStream.rangeClosed(1, 5)
            .mapToObj(i -> JsonNodeFactory.instance.objectNode().put("id", "b" + i))
            .toList();

    private static List<String> ids(JsonNode page) {
        return page.path("data").findValuesAsText("id");
    }

    @Test
    void shouldGiveTheFirstPageWhenNoAfterIsGiven() {
        ObjectNode page = ListPage.of(FIVE, null, 2, UnaryOperator.identity());

        assertThat(page.path("object").asText()).isEqualTo("list");
        assertThat(ids(page)).containsExactly("b1", "b2");
        assertThat(page.path("first_id").asText()).isEqualTo("b1");
        assertThat(page.path("last_id").asText()).isEqualTo("b2");
        assertThat(page.path("has_more").asBoolean()).isTrue();
    }

    @Test
    void shouldStartBehindTheAfterIdAndEndWithoutMoreOnTheLastPage() {
        ObjectNode page = ListPage.of(FIVE, "b3", 2, UnaryOperator.identity());

        assertThat(ids(page)).containsExactly("b4", "b5");
        assertThat(page.path("has_more").asBoolean()).isFalse();
    }

    @Test
    void shouldShowEachItemAsRendered() {
        ObjectNode page = ListPage.of(FIVE, "b4", 10, r -> r.deepCopy().put("object", "batch"));

        assertThat(page.at("/data/0/object").asText()).isEqualTo("batch");
        assertThat(FIVE.get(4).has("object")).isFalse();
    }

    @Test
    void shouldGiveAnEmptyPageWhenAfterNamesNoItem() {
        ObjectNode page = ListPage.of(FIVE, "b404", 2, UnaryOperator.identity());

        assertThat(ids(page)).isEmpty();
        assertThat(page.get("first_id").isNull()).isTrue();
        assertThat(page.get("last_id").isNull()).isTrue();
        assertThat(page.path("has_more").asBoolean()).isFalse();
    }

    @Test
    void shouldGiveAnEmptyPageForAnEmptyList() {
        assertThat(ids(ListPage.of(List.of(), null, 20, UnaryOperator.identity())))
                .isEmpty();
        assertThat(ids(ListPage.of(List.of(), "b1", 20, UnaryOperator.identity())))
                .isEmpty();
    }

    @Test
    void shouldTakeTheDefaultLimitWhenAbsentAndAnyLimitFromOneToTheMaximum() {
        assertThat(ListPage.limit(null, 20, 100)).isEqualTo(20);
        assertThat(ListPage.limit("1", 20, 100)).isEqualTo(1);
        assertThat(ListPage.limit("100", 20, 100)).isEqualTo(100);
    }

    @Test
    void shouldRefuseALimitOutsideItsBoundsWithA400NamingTheParameter() {
        for (String bad : List.of("0", "101", "-1", "ten", "")) {
            assertThatThrownBy(() -> ListPage.limit(bad, 20, 100))
                    .as("limit=%s", bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.param()).isEqualTo("limit");
                        assertThat(e.code()).isEqualTo("invalid_value");
                    });
        }
    }
}
