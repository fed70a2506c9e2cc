package dev.srg.group;

/** What a purchase action bought (SPEC RG-9): every one makes an order with its price. */
public enum PurchaseType { CREATE, SCALE_OUT, SCALE_IN, RENEW, AUTO_RENEW, CONVERT }
