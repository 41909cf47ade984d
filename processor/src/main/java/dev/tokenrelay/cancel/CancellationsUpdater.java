package dev.tokenrelay.cancel;

import dev.tokenrelay.schema.Cancel;
import dev.tokenrelay.schema.JsonCodec;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of cancellations: puts each record of the cancellations topic in it and
 * bumps the version dispatch watches, so a new cancellation is looked for at once. A record that is
 * not a cancellation is skipped: a failing global thread would stop every instance.
 */
public final class CancellationsUpdater implements Processor<String, byte[], Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(CancellationsUpdater.class);

    private final AtomicLong version;
    private KeyValueStore<String, Cancel> store;

    /** @param version bumped on every cancellation taken in */
    public CancellationsUpdater(AtomicLong version) {
        this.version = version;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(StoreCancellations.STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            return;
        }
        try {
            store.put(record.key(), JsonCodec.decode(record.value(), Cancel.class));
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("key", record.key()).log("cancellation skipped: {}", e.getMessage());
            return;
        }
        LOG.atInfo().addKeyValue("key", record.key()).log("cancellation received");
        version.incrementAndGet();
    }
}
