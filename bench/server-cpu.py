#!/usr/bin/env python3
"""bench/server-cpu's tables.
server-cpu.py threads BEFORE AFTER HZ N: the server's threads' CPU (user + system ticks from
/proc/PID/task/*/stat, BEFORE and AFTER the run) per task, by thread name with numbers folded.
server-cpu.py samples CPU_JSON N: jdk.CPUTimeSample events (jfr print --json; one per ms of a
thread's CPU) per task by the outermost srg step in the stack (what the work is for), by the
innermost srg frame (who does it), and by the leaf's library."""
import collections
import json
import re
import sys

LIBS = [("org.postgresql", "pgjdbc"), ("org.jdbi", "Jdbi"), ("tools.jackson", "Jackson"), ("com.fasterxml", "Jackson"),
        ("org.eclipse.jetty", "Jetty"), ("io.javalin", "Javalin"), ("com.zaxxer", "HikariCP"), ("dev.srg", "srg"),
        ("org.slf4j", "logging"), ("ch.qos", "logging"), ("org.tinylog", "logging"), ("java.util.logging", "logging"),
        ("io.fabric8", "fabric8"), ("okhttp3", "okhttp"), ("kotlin", "kotlin")]


PHASES = [  # innermost first wins: (a frame's "Class.method" contains this, the part of the server's work)
    ("LocalExecutionBackend.prepare", "launch: instance files, uid, network files, cgroup mkdirs"),
    ("SupervisorLauncher", "launch: the native launcher's client"),
    ("LocalExecutionBackend.launch", "launch: other (spawn, watch)"),
    ("LocalExecutionBackend.supervisorExited", "reaping: exit file, uid, cgroups"),
    ("InstanceDispatcher.markRunning", "markRunning (statement)"),
    ("InstanceDispatcher.recordTasks", "outcomes (group commit)"),
    ("InstanceDispatcher.onExit", "outcomes (group commit)"),
    ("InstanceDispatcher.release", "outcomes: ledger release, next admission"),
    ("InstanceDispatcher.launch", "launch: dispatcher (markStarting, ledger)"),
    ("InstanceDispatcher.launchCommitted", "launch: dispatcher (markStarting, ledger)"),
    ("InstanceDispatcher.admit", "admission"),
    ("InstanceManager.submit", "submit: checks, statements, commit"),
    ("AccessManager.authenticate", "submit: token"),
    ("ApiServer", "HTTP: Javalin handlers, answer JSON"),
    ("DataCallHandler.handle", "HTTP: Jetty, routing"),
    ("JettyServerThreadPool", "HTTP: Jetty, routing"),
    ("dev.srg.time.BackgroundJobs", "background jobs (metering, sampling, lifecycle...)"),
    ("WebhookNotifier", "webhook poll"),
    ("dev.srg.store.Database", "database probe"),
    ("dev.srg.cluster", "cluster lease"),
    ("dev.srg.dataservice", "DataService watchdog, call log"),
]


def phase(frames):
    for f in frames:
        for key, label in PHASES:
            if key in f:
                return label
    return "other (JDK only: pollers, carriers)"


def fold(name):
    return re.sub(r"(?<=[#\-])\d+|\d+$", "N", name)


def threads(before, after, hz, n):
    def read(path):
        rows = {}
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[2]:
                rows[parts[0]] = (parts[1], int(parts[2]))
        return rows
    a, b = read(before), read(after)
    by = collections.Counter()
    count = collections.Counter()
    for tid, (name, ticks) in b.items():
        d = ticks - a.get(tid, (name, 0))[1]
        by[fold(name)] += d
        count[fold(name)] += 1
    total = sum(by.values())
    ms = lambda t: t * 1000 / hz / n
    print(f"threads alive at the end: {len(b)} (at the start {len(a)}); born during the run: {len(set(b) - set(a))}, gone: {len(set(a) - set(b))}")
    print(f"{'thread (numbers folded)':34} {'threads':>7} {'ms/task':>8} {'share':>6}")
    for name, t in by.most_common():
        if t:
            print(f"{name:34} {count[name]:7d} {ms(t):8.2f} {100 * t / max(total, 1):5.1f}%")
    print(f"{'(alive threads, sum)':34} {'':7} {ms(total):8.2f}")


def name(frame):
    m = frame["method"]
    return m["type"]["name"].replace("/", ".") + "." + m["name"]


def lib(frames):
    for f in frames:  # leaf first: the first frame of a known library; JDK code counts for it
        for prefix, label in LIBS:
            if f.startswith(prefix):
                return label
    return "JDK only" if frames else "no stack"


def samples(path, n):
    events = json.load(open(path))["recording"]["events"]
    outer, inner, libs, thread, pair, parts, vparts = (collections.Counter() for _ in range(7))
    for ev in events:
        v = ev["values"]
        frames = [name(f) for f in (v.get("stackTrace") or {}).get("frames", [])]  # leaf first
        srg = [f for f in frames if f.startswith("dev.srg")]
        t = v.get("eventThread") or {}
        tn = fold(t.get("javaName") or t.get("osName") or "?")
        if t.get("virtual"):
            tn = "(virtual) " + tn
        o = srg[-1] if srg else "(no srg frame) " + (frames[-1] if frames else "")
        i = srg[0] if srg else "-"
        outer[o] += 1
        inner[i] += 1
        libs[lib(frames)] += 1
        thread[tn] += 1
        pair[(o, lib(frames))] += 1
        parts[phase(frames)] += 1
        if t.get("virtual"):
            vparts[phase(frames)] += 1
    total = sum(outer.values())
    print(f"{total} CPU-time samples ({total / n:.2f} ms per task if one per ms)")
    for title, c, k in (("by the part of the work", parts, 30), ("virtual threads only (the ForkJoinPool carriers' CPU), by the part", vparts, 30), ("by thread", thread, 25), ("by the outermost srg frame (what for)", outer, 45),
                        ("by the innermost srg frame (who)", inner, 45), ("by the leaf's library", libs, 20),
                        ("outermost srg frame x library", pair, 40)):
        print(f"\n{title}:")
        for key, cnt in c.most_common(k):
            label = " / ".join(key) if isinstance(key, tuple) else key
            print(f"  {cnt / n:7.2f} ms/task {100 * cnt / total:5.1f}%  {label}")


if __name__ == "__main__":
    if sys.argv[1] == "threads":
        threads(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        samples(sys.argv[2], int(sys.argv[3]))
