package dev.srg.store;

import java.security.SecureRandom;

/**
 * Resource ids: a type prefix, then 10 characters of millisecond time and 10 random ones, all in
 * lowercase Crockford base32, so that ids sort by creation time (lists page by id) and cannot be
 * guessed.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    public static String next(String prefix, long epochMillis) {
        char[] out = new char[20];
        long time = epochMillis;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        for (int i = 0; i < 10; i++) {
            out[10 + i] = ALPHABET[random[i] & 31];
        }
        return prefix + "-" + new String(out);
    }
}
