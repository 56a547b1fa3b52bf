package dev.relay.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class ChatRequestCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    /** What the processor sends: the caller's body with model set, minus the fields the ingress owns. */
    private static void assertRoundTrip(String body) throws Exception {
        ObjectNode expected = (ObjectNode) json(body);
        expected.put("model", "gpt-4o-mini");
        ObjectNode back = ChatRequestCodec.toOpenAi(ChatRequestCodec.fromOpenAi(json(body)), "gpt-4o-mini");
        assertThat(json(back.toString())).isEqualTo(expected); // compare as JSON text: 7 may be an int or a long node
    }

    @Test
    void shouldRoundTripPlainStringMessagesAndTypedParameters() throws Exception {
        assertRoundTrip("""
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi é✓","name":"ann"}],
                 "temperature":0.5,"top_p":0.9,"max_tokens":64,"max_completion_tokens":80,"stop":["\\n"],"seed":7,
                 "user":"u-1","response_format":{"type":"json_object"}}""");
    }

    @Test
    void shouldRoundTripPartsImagesToolsAndUnknownFields() throws Exception {
        assertRoundTrip("""
                {"messages":[
                   {"role":"user","content":[{"type":"text","text":"What is this?"},
                                             {"type":"image_url","image_url":{"url":"https://x/cat.png","detail":"low"}}]},
                   {"role":"assistant","content":null,
                    "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
                   {"role":"tool","content":"42","tool_call_id":"c1"}],
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
                 "tool_choice":"auto","logprobs":true,"top_logprobs":2,"logit_bias":{"50256":-100}}""");
    }

    @Test
    void shouldKeepUnknownFieldsInTheExtensionAndDropOwnedOnes() throws Exception {
        ChatRequest r = ChatRequestCodec.fromOpenAi(json("""
                {"model":"openai/gpt-4o","fallbacks":["anthropic/claude"],"stream":false,
                 "messages":[{"role":"user","content":"x"}],"n":2}"""));
        assertThat(json(r.getExtensionJson())).isEqualTo(json("{\"n\":2}"));
        assertThat(r.getMessages().get(0).getContentIsString()).isTrue();
    }

    @Test
    void shouldAcceptStopAsASingleString() throws Exception {
        ChatRequest r = ChatRequestCodec.fromOpenAi(json("""
                {"messages":[{"role":"user","content":"x"}],"stop":"END"}"""));
        assertThat(r.getStop()).containsExactly("END");
    }

    @Test
    void shouldNameTheOffendingFieldOfAnInvalidRequest() {
        assertThatThrownBy(() -> ChatRequestCodec.fromOpenAi(json("""
                {"messages":[{"role":"user","content":"x"},{"role":"robot","content":"y"}]}""")))
                .isInstanceOfSatisfying(
                        ChatRequestCodec.InvalidRequestException.class,
                        e -> assertThat(e.param()).isEqualTo("messages[1].role"));
        assertThatThrownBy(() -> ChatRequestCodec.fromOpenAi(json("""
                {"messages":[{"role":"user","content":"x"}],"temperature":3}""")))
                .isInstanceOfSatisfying(
                        ChatRequestCodec.InvalidRequestException.class,
                        e -> assertThat(e.param()).isEqualTo("temperature"));
        assertThatThrownBy(() -> ChatRequestCodec.fromOpenAi(json("{\"messages\":[]}")))
                .isInstanceOfSatisfying(
                        ChatRequestCodec.InvalidRequestException.class,
                        e -> assertThat(e.param()).isEqualTo("messages"));
    }
}
