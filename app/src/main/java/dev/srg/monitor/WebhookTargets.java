package dev.srg.monitor;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where srg may post a webhook (docs/monitoring.md, "Where webhooks may go"): public addresses
 * only. Loopback, private, link-local (the cloud metadata service's 169.254.169.254 and
 * fd00:ec2::254), shared, multicast and reserved ranges are refused — they reach the server's own
 * side: its API, its embedded PostgreSQL, the host's and its network's services — unless the operator
 * allows a range ({@code webhook-allowed-cidrs}). A name is resolved and every address it has must
 * pass; a delivery connects to the address it checked, so a name that resolves elsewhere a moment
 * later (DNS rebinding) cannot move it.
 */
public final class WebhookTargets {
    /** The refused ranges, each with what it is (said in the refusal). */
    private static final List<Range> REFUSED = List.of(
            Range.parse("0.0.0.0/8", "a 'this network' address"),
            Range.parse("10.0.0.0/8", "a private address"),
            Range.parse("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
            Range.parse("127.0.0.0/8", "a loopback address"),
            Range.parse("169.254.0.0/16", "a link-local address (where cloud metadata services answer)"),
            Range.parse("172.16.0.0/12", "a private address"),
            Range.parse("192.0.0.0/24", "an IETF protocol assignment"),
            Range.parse("192.168.0.0/16", "a private address"),
            Range.parse("198.18.0.0/15", "a benchmarking address"),
            Range.parse("224.0.0.0/4", "a multicast address"),
            Range.parse("240.0.0.0/4", "a reserved address"),
            Range.parse("::/96", "an unspecified, loopback or IPv4-compatible address"),
            Range.parse("fc00::/7", "a unique local (private) address"),
            Range.parse("fe80::/10", "a link-local address"),
            Range.parse("fec0::/10", "a site-local address"),
            Range.parse("ff00::/8", "a multicast address"));

    private final List<Range> allowed;

    /** @param allowedCidrs ranges the operator lets webhooks reach although they are refused by default */
    public WebhookTargets(List<String> allowedCidrs) {
        List<Range> ranges = new ArrayList<>();
        for (String cidr : allowedCidrs) {
            ranges.add(Range.parse(cidr, "allowed"));
        }
        this.allowed = List.copyOf(ranges);
    }

    /** Null when {@code cidr} is a valid IPv4 or IPv6 CIDR, else what is wrong (for the configuration's problems). */
    public static String problem(String cidr) {
        try {
            Range.parse(cidr, "");
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Null when webhooks may reach {@code address}, else why not, in words. */
    public String refusal(InetAddress address) {
        byte[] bytes = embeddedIpv4(address);
        for (Range r : allowed) {
            if (r.contains(address.getAddress()) || r.contains(bytes)) {
                return null;
            }
        }
        for (Range r : REFUSED) {
            if (r.contains(bytes) || r.contains(address.getAddress())) {
                return address.getHostAddress() + " is " + r.what + " (" + r.text + ")";
            }
        }
        return null;
    }

    /** The addresses of {@code host}, every one allowed; an exception saying which is not, or that it does not resolve. */
    public List<InetAddress> resolve(String host) throws UnknownHostException, Refused {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] all = InetAddress.getAllByName(h);
        for (InetAddress a : all) {
            String why = refusal(a);
            if (why != null) {
                throw new Refused(h.toLowerCase(Locale.ROOT).equals(a.getHostAddress()) ? why : host + " resolves to " + why);
            }
        }
        return List.of(all);
    }

    /** A destination webhooks may not reach. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::), else its own bytes. */
    private static byte[] embeddedIpv4(InetAddress address) {
        byte[] b = address.getAddress();
        if (!(address instanceof Inet6Address)) {
            return b;
        }
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (mapped || nat64) {
            return new byte[] {b[12], b[13], b[14], b[15]};
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return new byte[] {b[2], b[3], b[4], b[5]};
        }
        return b;
    }

    private record Range(byte[] network, int prefix, String text, String what) {
        static Range parse(String cidr, String what) {
            String s = cidr.strip();
            int slash = s.indexOf('/');
            String addr = slash < 0 ? s : s.substring(0, slash);
            if (addr.isEmpty() || !addr.matches("[0-9A-Fa-f:.]+")) {
                throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 or IPv6 CIDR (like 10.0.0.0/8 or fd00::/8)");
            }
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(addr).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 or IPv6 CIDR (like 10.0.0.0/8 or fd00::/8)");
            }
            int max = bytes.length * 8;
            int prefix;
            try {
                prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("'" + cidr + "': the prefix length must be 0 to " + max);
            }
            return new Range(bytes, prefix, s, what);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
