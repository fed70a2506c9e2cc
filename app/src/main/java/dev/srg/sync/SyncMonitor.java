package dev.srg.sync;

import static java.util.Objects.requireNonNull;

import dev.srg.access.Principal;
import dev.srg.error.SrgException;
import dev.srg.execution.NetworkContext;
import dev.srg.network.Cidr;
import dev.srg.network.NetworkPolicy;
import dev.srg.store.PageRequest;
import dev.srg.task.InstanceInfo;
import dev.srg.task.InstanceManager;
import dev.srg.task.InstanceManager.LogChunk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What srg knows of a sync while it runs and after (SPEC DI-4, DI-5): the worker's side channel
 * ({@link SyncProgress}'s {@code [srg-sync]} lines) read from the instance's log through its
 * backend, with the caller's rights. The log is kept with the instance, so the totals stay on the
 * finished instance (and survive a restart of the server: the next read starts from the log).
 * Each instance's log is read once: a cache remembers how far and the last progress.
 */
public final class SyncMonitor {
    public static final String KIND = "DATA_INTEGRATION";
    private static final int CHUNK = 1024 * 1024;
    private static final int MAX_CACHED = 10_000;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final InstanceManager instances;
    /** A group's network (for the reason of a sync that could not connect); empty where unknown. */
    private final Function<String, NetworkContext> networks;
    private final Map<String, Tail> tails = new ConcurrentHashMap<>();

    public SyncMonitor(InstanceManager instances) {
        this(instances, null);
    }

    public SyncMonitor(InstanceManager instances, Function<String, NetworkContext> networks) {
        this.instances = requireNonNull(instances, "instances is null");
        this.networks = networks;
    }

    /** A dirty record as the worker kept it: which split, why, and the record's values. */
    public record DirtyRecord(int split, String reason, Map<String, Object> record) {}

    /**
     * A page of the dirty records kept (the first {@value SyncProgress#MAX_DIRTY_LINES}), as every list
     * is answered ({@code items}, {@code nextPageToken}), with how many there were in all.
     */
    public record DirtyRecords(List<DirtyRecord> items, String nextPageToken, long total, boolean truncated) {}

    /** The instance with its progress, when it is a sync that has reported some. */
    public InstanceInfo withProgress(Principal caller, InstanceInfo i) {
        if (!KIND.equals(i.type())) {
            return i;
        }
        Tail tail = read(caller, i.id());
        if (tail.progress == null) {
            return i;
        }
        Map<String, Object> progress = tail.progress;
        if (progress.containsKey("unreachableHost")) {
            progress = new LinkedHashMap<>(progress);
            String host = String.valueOf(progress.remove("unreachableHost"));
            progress.remove("unreachablePort");
            String why = networkReason(i.resourceGroupId(), host);
            if (why != null) {
                progress.put("reason", progress.get("reason") + "; " + why);
            }
        }
        return i.withProgress(progress);
    }

    /**
     * SPEC DI-8: whether the group's network lets a task reach {@code host} (an IPv4 literal; a name
     * is resolved inside the task's network, which the server does not see), said as a connectivity
     * test says it; null when it does (then the database itself refused or was not up).
     */
    private String networkReason(String groupId, String host) {
        if (networks == null || groupId == null) {
            return null;
        }
        try {
            long address = Cidr.parseAddress("host", host);
            NetworkPolicy.Verdict verdict = NetworkPolicy.of(networks.apply(groupId)).verdict(address);
            return verdict.allowed() ? null : "a sync connects from inside its resource group's network, which does not reach it: "
                    + verdict.reason();
        } catch (RuntimeException e) {
            return null; // a host name, or the group is gone: nothing more to say
        }
    }

    public DirtyRecords dirtyRecords(Principal caller, String instanceId) {
        return dirtyRecords(caller, instanceId, PageRequest.first(SyncProgress.MAX_DIRTY_LINES));
    }

    /** SPEC DI-4: a page of a sync's dirty records. */
    public DirtyRecords dirtyRecords(Principal caller, String instanceId, PageRequest page) {
        InstanceInfo i = instances.get(caller, instanceId);
        // the records are the source's rows, values and all, read from the task's log: the log's rule
        instances.requireWorkspaceRole(caller, i, "the dirty records");
        if (!KIND.equals(i.type())) {
            throw SrgException.invalid("id", "InvalidParameter.Instance.Kind", "instance '" + instanceId + "' is a " + i.type()
                    + " task; only DATA_INTEGRATION tasks have dirty records");
        }
        Tail tail = read(caller, instanceId);
        synchronized (tail) {
            long total = tail.progress == null ? tail.dirty.size() : ((Number) tail.progress.getOrDefault("dirtyRecords", 0)).longValue();
            PageRequest.Page<DirtyRecord> p = page.slice(tail.dirty);
            return new DirtyRecords(p.items(), p.nextPageToken(), Math.max(total, tail.dirty.size()), total > tail.dirty.size());
        }
    }

    private static final class Tail {
        long offset;
        boolean finished;
        Map<String, Object> progress;
        final List<DirtyRecord> dirty = new ArrayList<>();
    }

    private Tail read(Principal caller, String id) {
        if (tails.size() > MAX_CACHED) {
            tails.clear(); // read again from the logs when asked
        }
        Tail tail = tails.computeIfAbsent(id, k -> new Tail());
        synchronized (tail) {
            while (!tail.finished) {
                LogChunk chunk = instances.log(caller, id, tail.offset, CHUNK);
                byte[] bytes = chunk.bytes();
                int end = lastNewline(bytes);
                if (end < 0) {
                    if (chunk.finished() && bytes.length == 0) {
                        tail.finished = true;
                    }
                    break;
                }
                parse(tail, new String(bytes, 0, end + 1, StandardCharsets.UTF_8));
                tail.offset += end + 1;
                if (bytes.length < CHUNK) {
                    if (chunk.finished() && end + 1 == bytes.length) {
                        tail.finished = true;
                    }
                    break;
                }
            }
            return tail;
        }
    }

    private static int lastNewline(byte[] bytes) {
        for (int k = bytes.length - 1; k >= 0; k--) {
            if (bytes[k] == '\n') {
                return k;
            }
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    private static void parse(Tail tail, String text) {
        for (String line : text.split("\n")) {
            if (!line.startsWith(SyncProgress.PREFIX)) {
                continue;
            }
            String rest = line.substring(SyncProgress.PREFIX.length());
            int space = rest.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String type = rest.substring(0, space);
            Map<String, Object> body;
            try {
                body = JSON.readValue(rest.substring(space + 1), Map.class);
            } catch (JacksonException e) {
                continue; // a task may print anything; only well-formed lines count
            }
            switch (type) {
                case "progress", "finished" -> tail.progress = progress(body);
                case "dirty" -> {
                    if (tail.dirty.size() < SyncProgress.MAX_DIRTY_LINES) {
                        tail.dirty.add(new DirtyRecord(body.get("split") instanceof Number n ? n.intValue() : -1,
                                String.valueOf(body.get("reason")),
                                body.get("record") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of()));
                    }
                }
                case "retry" -> {
                    // a failed attempt is retried: the splits it names are copied again and find their dirty records again
                    if (body.get("splits") instanceof List<?> redone) {
                        tail.dirty.removeIf(d -> redone.contains(d.split()));
                    }
                }
                default -> { }
            }
        }
    }

    private static Map<String, Object> progress(Map<String, Object> body) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (String key : List.of("recordsRead", "recordsWritten", "bytesRead", "bytesWritten", "recordsPerSecond",
                "bytesPerSecond", "dirtyRecords", "splitsDone", "splitsTotal", "elapsedMillis", "status", "reason", "unreachableHost",
                "unreachablePort")) {
            Object v = body.get(key);
            if (v instanceof Number || v instanceof String) {
                p.put(key, v);
            }
        }
        return p;
    }
}
