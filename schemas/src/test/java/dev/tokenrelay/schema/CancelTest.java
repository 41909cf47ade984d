package dev.tokenrelay.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which requests a cancellation names, and its key on the control topic. */
class CancelTest {

    private static final Instant AT = Instant.parse("2026-12-07T00:00:00Z");

    @Test
    void shouldMatchARequestByBatchIdOrMetadata() {
        // Given a request of batch nightly-7 for tenant acme
        ChatRequest request = request("r1", "nightly-7", "acme");

        // When cancellations of each kind are asked / Then those naming it match, the others do not
        assertThat(Cancel.ofBatch("nightly-7", null, AT).matches(request)).isTrue();
        assertThat(Cancel.ofBatch("nightly-8", null, AT).matches(request)).isFalse();
        assertThat(Cancel.ofRequest("r1", null, AT).matches(request)).isTrue();
        assertThat(Cancel.ofRequest("r2", null, AT).matches(request)).isFalse();
        assertThat(Cancel.ofMetadata("tenant", "acme", null, AT).matches(request)).isTrue();
        assertThat(Cancel.ofMetadata("tenant", "other", null, AT).matches(request)).isFalse();
        assertThat(Cancel.ofMetadata("team", "acme", null, AT).matches(request("r3", null, null))).isFalse();
    }

    @Test
    void shouldNeedEverySelectorItNamesToMatch() {
        // Given a cancellation of request r1 within batch nightly-7
        Cancel cancel = new Cancel("nightly-7", "r1", null, null, null, AT);

        // When requests are matched / Then only the one in both matches
        assertThat(cancel.matches(request("r1", "nightly-7", null))).isTrue();
        assertThat(cancel.matches(request("r1", "other", null))).isFalse();
    }

    @Test
    void shouldBeKeyedByWhatItNamesAndDescribeItself() {
        // Given / When / Then each kind has its key and a reason made of what it names
        assertThat(Cancel.ofBatch("b1", null, AT).key()).isEqualTo("batch:b1");
        assertThat(Cancel.ofRequest("r1", null, AT).key()).isEqualTo("request:r1");
        assertThat(Cancel.ofMetadata("tenant", "acme", null, AT).key()).isEqualTo("metadata:tenant=acme");
        assertThat(Cancel.ofBatch("b1", null, AT).describe()).isEqualTo("batch b1 cancelled");
        assertThat(Cancel.ofBatch("b1", "wrong prompt", AT).describe()).isEqualTo("wrong prompt");
    }

    @Test
    void shouldRefuseACancellationThatNamesNothing() {
        // Given / When / Then a cancellation with no selector, or half a metadata field, is refused
        assertThatThrownBy(() -> new Cancel(null, null, null, null, "why", AT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Cancel(null, null, "tenant", null, "why", AT)).isInstanceOf(IllegalArgumentException.class);
    }

    private static ChatRequest request(String id, String batch, String tenant) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "q");
        ObjectNode metadata = tenant == null ? null : JsonNodeFactory.instance.objectNode().put("tenant", tenant);
        return new ChatRequest(id, 0, body, null, null, null, metadata, 0, batch);
    }
}
