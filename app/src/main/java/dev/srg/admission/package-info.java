/**
 * Admission: the in-memory ledger of each resource group ({@link dev.srg.admission.GroupLedger}),
 * deciding which queued tasks start under capacity, quotas and concurrency (SPEC ADM-1..ADM-7,
 * RG-4, RG-5). Pure: imports nothing but the JDK, does no I/O, reads no clock.
 * All CU amounts are {@code long} milli-CU (1 CU = 1000 mCU, steps of 250 mCU).
 */
package dev.srg.admission;
