package dev.srg.monitor;

/** How one webhook delivery attempt went (the {@code outcome} label of {@code srg_webhook_deliveries}). */
enum WebhookOutcome { DELIVERED, RETRY, FAILED }
