package dev.tokenrelay.cancel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.lanes.Cancellations;
import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.ChatRequest;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The cancellations of the global store that materializes the cancellations topic, keyed as on
 * the control topic ({@code batch:<id>}, {@code request:<id>}, {@code metadata:<key>=<value>}). A
 * request is looked up by its id, its batch and each of its top-level metadata fields, so asking
 * costs a few point reads, whatever the number of cancellations.
 */
public final class StoreCancellations implements Cancellations {

    /** The name of the global store of cancellations. */
    public static final String STORE = "cancellations";

    private final ReadOnlyKeyValueStore<String, Cancel> store;
    private final AtomicLong version;

    /**
     * @param store   the global store
     * @param version bumped by the store's update processor on every cancellation it takes in
     */
    public StoreCancellations(ReadOnlyKeyValueStore<String, Cancel> store, AtomicLong version) {
        this.store = store;
        this.version = version;
    }

    @Override
    public Optional<String> cancelled(ChatRequest request) {
        Optional<String> found = matching(Cancel.requestKey(request.id()), request);
        if (found.isEmpty() && request.batch() != null) {
            found = matching(Cancel.batchKey(request.batch()), request);
        }
        if (found.isEmpty() && request.metadata() != null && request.metadata().isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = request.metadata().fields();
            while (found.isEmpty() && fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getValue().isValueNode() && !field.getValue().isNull()) {
                    found = matching(Cancel.metadataKey(field.getKey(), field.getValue().asText()), request);
                }
            }
        }
        return found;
    }

    @Override
    public long version() {
        return version.get();
    }

    private Optional<String> matching(String key, ChatRequest request) {
        Cancel cancel = store.get(key);
        return cancel != null && cancel.matches(request) ? Optional.of(cancel.describe()) : Optional.empty();
    }
}
