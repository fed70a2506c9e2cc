package dev.srg.task;

import dev.srg.admission.GroupLedger;
import dev.srg.admission.LedgerInfo;
import java.util.function.BiConsumer;

/**
 * What monitoring sees of admission: the groups' ledgers, read under their locks, and the
 * dispatcher's events. Monitoring depends on this, not on the dispatcher.
 */
public interface AdmissionView {
    /**
     * Reads every group's ledger, each under its lock, without walking queues (cheap: for sampling
     * and metrics). The reader must only read, and quickly.
     */
    void readLedgers(BiConsumer<String, GroupLedger> reader);

    /** One group's ledger with its queue walked (positions, reasons). */
    LedgerInfo snapshot(String groupId);

    /** Adds a listener told of admissions and outcomes (metrics, usage history). */
    void addListener(DispatchListener listener);
}
