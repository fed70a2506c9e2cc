package dev.srg.group;

/** RG-1: prepaid for a cycle, or postpaid by use. */
public enum BillingMode { SUBSCRIPTION, PAY_AS_YOU_GO }
