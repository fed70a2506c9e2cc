package dev.srg.admission;

/**
 * What a task uses a resource group for (SPEC ADM-1). Quotas (ADM-2) are set per usage type,
 * and {@link #SCHEDULING} alone is limited by the concurrency threshold (ADM-4).
 */
public enum UsageType {
    /** Shell, Python and other compute tasks of data development. */
    SCHEDULING,
    /** Batch and real-time synchronization. */
    DATA_INTEGRATION,
    /** DataService APIs. */
    DATA_SERVICE,
    DATA_ANALYSIS,
    CONNECTIVITY_TEST,
    METADATA_COLLECTION,
    /** A personal development environment. */
    DEV_ENVIRONMENT,
    /** A large-model service. */
    MODEL_SERVICE
}
