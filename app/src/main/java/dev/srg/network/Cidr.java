package dev.srg.network;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.srg.error.SrgException;

/** An IPv4 CIDR block ({@code 10.0.0.0/16}), validated strictly: host bits must be zero. */
public record Cidr(long network, int prefix) {
    /** Addresses 21.0.0.0 to 21.255.255.255 are reserved by the platform (NET-4). */
    public static final Cidr RESERVED = new Cidr(21L << 24, 8);

    public Cidr {
        if (prefix < 0 || prefix > 32 || network < 0 || network > 0xFFFF_FFFFL || (network & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException("not a CIDR block: " + network + "/" + prefix);
        }
    }

    public static Cidr parse(String field, String text) {
        if (text == null) {
            throw SrgException.invalid(field, "MissingParameter", field + " is required");
        }
        String[] parts = text.strip().split("/", -1);
        if (parts.length != 2 || !parts[1].matches("\\d{1,2}")) {
            throw invalid(field, text, "expected an IPv4 CIDR block such as 10.0.0.0/16");
        }
        long address = parseAddress(field, parts[0]);
        int prefix = Integer.parseInt(parts[1]);
        if (prefix > 32) {
            throw invalid(field, text, "the prefix length must be 0 to 32");
        }
        if ((address & ~mask(prefix)) != 0) {
            Cidr suggestion = new Cidr(address & mask(prefix), prefix);
            throw invalid(field, text, "host bits are set; did you mean " + suggestion + "?");
        }
        return new Cidr(address, prefix);
    }

    /** A dotted IPv4 address as a number, or a 400 naming the field. */
    public static long parseAddress(String field, String text) {
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) {
            throw invalid(field, text, "expected an IPv4 address such as 10.0.0.0");
        }
        long value = 0;
        for (String octet : octets) {
            if (!octet.matches("\\d{1,3}") || (octet.length() > 1 && octet.startsWith("0")) || Integer.parseInt(octet) > 255) {
                throw invalid(field, text, "each part of an IPv4 address is a number from 0 to 255");
            }
            value = (value << 8) | Integer.parseInt(octet);
        }
        return value;
    }

    public long first() {
        return network;
    }

    public long last() {
        return network | (~mask(prefix) & 0xFFFF_FFFFL);
    }

    public boolean overlaps(Cidr other) {
        return first() <= other.last() && other.first() <= last();
    }

    public boolean contains(Cidr other) {
        return first() <= other.first() && other.last() <= last();
    }

    public boolean containsAddress(long address) {
        return first() <= address && address <= last();
    }

    public static String format(long address) {
        return ((address >> 24) & 255) + "." + ((address >> 16) & 255) + "." + ((address >> 8) & 255) + "." + (address & 255);
    }

    @JsonValue
    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
    }

    private static SrgException invalid(String field, String text, String why) {
        return SrgException.invalid(field, "InvalidParameter.Cidr", field + " '" + text + "' is not valid: " + why);
    }
}
