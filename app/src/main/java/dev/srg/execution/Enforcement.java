package dev.srg.execution;

import static java.util.Objects.requireNonNull;

/**
 * SPEC RT-3: which of CPU, memory, network, DNS, image and disk a backend enforced for an instance;
 * what was not enforced carries a note that says so (and why), never left implied. {@code disk}: how
 * much the task may write where the backend keeps it (the local backend: its home on the data
 * directory's disk); an instance recorded before srg said it reads {@link #DISK_NOT_RECORDED}.
 */
public record Enforcement(Item cpu, Item memory, Item network, Item dns, Item image, Item disk) {
    /** The disk of an instance launched before srg recorded it (the eighteenth round). */
    public static final Item DISK_NOT_RECORDED = Item.no("not recorded: launched before srg said what bounds a task's disk");

    public Enforcement {
        requireNonNull(cpu, "cpu is null");
        requireNonNull(memory, "memory is null");
        requireNonNull(network, "network is null");
        requireNonNull(dns, "dns is null");
        requireNonNull(image, "image is null");
        disk = disk == null ? DISK_NOT_RECORDED : disk;
    }

    /** Whether one aspect was enforced; {@code note} says how, or why not. */
    public record Item(boolean enforced, String note) {
        public Item {
            requireNonNull(note, "note is null");
        }

        public static Item yes(String note) {
            return new Item(true, note);
        }

        public static Item no(String note) {
            return new Item(false, note);
        }
    }

    /** CPU and memory as the run found them (its cgroups may have failed); the rest as declared. */
    public Enforcement withLimits(boolean enforced, String note) {
        return new Enforcement(new Item(enforced, note), new Item(enforced, note), network, dns, image, disk);
    }

    /** What every aspect a backend cannot enforce says, e.g. in the server's start log. */
    public String notEnforced() {
        StringBuilder out = new StringBuilder();
        append(out, "cpu", cpu);
        append(out, "memory", memory);
        append(out, "network", network);
        append(out, "dns", dns);
        append(out, "image", image);
        append(out, "disk", disk);
        return out.isEmpty() ? "everything enforced" : out.toString();
    }

    private static void append(StringBuilder out, String name, Item item) {
        if (!item.enforced()) {
            out.append(out.isEmpty() ? "" : "; ").append(name).append(" not enforced (").append(item.note()).append(')');
        }
    }
}
