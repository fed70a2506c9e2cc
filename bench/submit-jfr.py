#!/usr/bin/env python3
"""bench/submit-jfr's tables. submit-jfr.py CPU_JSON SOCKET_JSON N: the CPU samples of CPU_JSON
(jfr print --json) on the submits' request threads by the submit's phase (the innermost srg step in the stack) and by what the
sample's leaf runs (its library; JDK code counted for the first library above it); a sample is
1 ms of a thread's CPU (jdk.CPUTimeSample). submit-jfr.py timeline SOCKET_JSON: the submits'
statements, their waits and what is between them."""
import collections
import json
import sys

PHASES = [  # innermost first wins: (a frame's "Class.method" contains this, the phase)
    ("InstanceManager.read", "token + workspace + group (one trip)"),
    ("AccessManager.authenticate", "token (hash, statement)"),
    ("WorkspaceManager.find", "workspace (statement)"),
    ("AdmissionLimitsReader.forSubmit", "group (statement)"),
    ("InstanceDispatcher.startContext", "network generation (statement)"),
    ("InstanceDao.insert", "INSERT + audit"),
    ("InstanceDispatcher.startInTransaction", "ledger + launch built + UPDATE"),
    ("IdempotencyKeys.createOnce", "transaction (begin, commit, pool)"),
    ("InstanceDispatcher.startCommitted", "hand-off"),
    ("InstanceManager.submitted", "the answer's row"),
    ("InstanceManager.check", "checks (kind, payload, roles)"),
    ("InstanceManager.submit", "submit, other"),
    ("Requests.body", "request body (JSON)"),
    ("JacksonJsonMapper.toJsonString", "answer (JSON)"),
    ("ApiServer.audit", "after-handler (audit)"),
    ("ApiServer.authenticate", "authenticate, other"),
    ("Requests.checkParameters", "parameters"),
    ("dev.srg.monitor", "metrics"),
]
LIBS = [("org.postgresql", "pgjdbc"), ("org.jdbi", "Jdbi"), ("tools.jackson", "Jackson"), ("com.fasterxml", "Jackson"),
        ("org.eclipse.jetty", "Jetty"), ("io.javalin", "Javalin"), ("com.zaxxer", "HikariCP"), ("dev.srg", "srg")]


def name(frame):
    m = frame["method"]
    return m["type"]["name"].replace("/", ".") + "." + m["name"]


def lib(n):
    for prefix, label in LIBS:
        if n.startswith(prefix):
            return label
    return None


def seconds(iso):  # "PT0.000357S"
    return float(iso[2:-1]) if iso.endswith("S") and "M" not in iso else float("nan")


def timeline(path):
    """The submit requests' socket waits (threshold 0: every read and write on the pgjdbc socket,
    the answer's too), per request thread: the stretch from the first statement sent to the last
    answer read, the time spent in reads (PostgreSQL's work, the network, the wake-up of the
    parked virtual thread) and what is left between them (Java, scheduling)."""
    events = json.load(open(path))["recording"]["events"]
    by_thread = collections.defaultdict(list)
    for ev in events:
        v = ev["values"]
        t = v.get("eventThread") or {}
        frames = [name(f) for f in (v.get("stackTrace") or {}).get("frames", [])]
        phase = next((p for f in frames for key, p in PHASES if key in f), "other")
        tid = v["javaThreadId"] if ev["type"].startswith("jdk.VirtualThread") else t.get("javaThreadId")
        by_thread[tid].append((v["startTime"], seconds(v.get("duration", "PT0S")), ev["type"], phase, frames))
    rows, edges = [], []
    per_phase = collections.defaultdict(list)
    for tid, evs in by_thread.items():
        if not any("InstanceManager.submit" in f for e in evs for f in e[4]):
            continue
        evs.sort()
        db = [e for e in evs if any(f.startswith("org.postgresql") for f in e[4])]
        if not db:
            continue
        from datetime import datetime
        t = lambda s: datetime.fromisoformat(s[:26] + "+00:00").timestamp()
        start, end = t(db[0][0]), max(t(e[0]) + e[1] for e in db)
        reads = [e for e in db if e[2] == "jdk.SocketRead"]
        writes = [e for e in db if e[2] == "jdk.SocketWrite"]
        rows.append((end - start, sum(e[1] for e in reads), sum(e[1] for e in writes), len(reads), len(writes)))
        born = [t(e[0]) for e in evs if e[2] == "jdk.VirtualThreadStart"]
        died = [t(e[0]) for e in evs if e[2] == "jdk.VirtualThreadEnd"]
        if born and died:
            edges.append((start - born[0], died[0] - end))
        for e in reads:
            per_phase[e[3]].append(e[1])
    if not rows:
        print("no submit request with socket events")
        return
    rows.sort()
    med = lambda xs: sorted(xs)[len(xs) // 2] * 1000
    print(f"{len(rows)} submit requests: from the first statement sent to the last answer read (ms, medians)")
    print(f"  stretch {med([r[0] for r in rows]):.2f}, in socket reads {med([r[1] for r in rows]):.2f}"
          f" ({med([r[3] for r in rows]) / 1000:.0f} reads), in socket writes {med([r[2] for r in rows]):.2f}"
          f" ({med([r[4] for r in rows]) / 1000:.0f} writes), between them {med([r[0] - r[1] - r[2] for r in rows]):.2f}")
    slow = rows[int(len(rows) * 0.95):]  # sorted by stretch
    print(f"  the slowest 5 % ({len(slow)}): stretch {med([r[0] for r in slow]):.2f}, in reads {med([r[1] for r in slow]):.2f},"
          f" in writes {med([r[2] for r in slow]):.2f}, between {med([r[0] - r[1] - r[2] for r in slow]):.2f}"
          f" (p99 stretch {rows[int(len(rows) * 0.99)][0] * 1000:.2f})")
    if edges:
        q = lambda xs, f: sorted(xs)[min(len(xs) - 1, int(len(xs) * f))] * 1000
        print(f"  the request's thread started -> its first statement p50 {q([e[0] for e in edges], .5):.2f} p99 {q([e[0] for e in edges], .99):.2f};"
              f" the last answer read -> the thread ended p50 {q([e[1] for e in edges], .5):.2f} p99 {q([e[1] for e in edges], .99):.2f}")
    print("  reads by phase (count per request, median ms each):")
    for p, xs in sorted(per_phase.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {len(xs) / len(rows):5.2f} x {med(xs):.3f}  {p}")


def gaps(path):
    """Each submit request's round trips in order (a statement: its writes, then its reads until the
    next write), by phase, and what lies between them: from the thread's start to the first write,
    from each trip's last read to the next trip's first write, from the last read to the thread's
    end. Medians over the requests that have the usual number of trips."""
    events = json.load(open(path))["recording"]["events"]
    from datetime import datetime
    t = lambda s: datetime.fromisoformat(s[:26] + "+00:00").timestamp()
    by_thread = collections.defaultdict(list)
    for ev in events:
        v = ev["values"]
        frames = [name(f) for f in (v.get("stackTrace") or {}).get("frames", [])]
        phase = next((p for f in frames for key, p in PHASES if key in f), "other")
        tid = v["javaThreadId"] if ev["type"].startswith("jdk.VirtualThread") else (v.get("eventThread") or {}).get("javaThreadId")
        by_thread[tid].append((t(v["startTime"]), seconds(v.get("duration", "PT0S")), ev["type"], phase, frames))
    shapes = collections.defaultdict(list)
    for tid, evs in by_thread.items():
        if not any("InstanceManager.submit" in f for e in evs for f in e[4]):
            continue
        evs.sort(key=lambda e: e[0])
        born = [e[0] for e in evs if e[2] == "jdk.VirtualThreadStart"]
        died = [e[0] for e in evs if e[2] == "jdk.VirtualThreadEnd"]
        db = [e for e in evs if e[2] in ("jdk.SocketRead", "jdk.SocketWrite") and any(f.startswith("org.postgresql") for f in e[4])]
        if not (born and died and db):
            continue
        trips = []  # [phase, first write start, last write end, last read end]
        for e in db:
            if e[2] == "jdk.SocketWrite" and (not trips or trips[-1][3] is not None):
                trips.append([e[3], e[0], e[0] + e[1], None])
            elif e[2] == "jdk.SocketWrite":
                trips[-1][2] = e[0] + e[1]
            elif trips:
                trips[-1][3] = e[0] + e[1]
        if any(tr[3] is None for tr in trips):
            continue
        steps = [("start -> " + trips[0][0], trips[0][1] - born[0])]
        for i, tr in enumerate(trips):
            steps.append(("  trip: " + tr[0], tr[3] - tr[1]))
            nxt = trips[i + 1][0] if i + 1 < len(trips) else "end"
            steps.append((tr[0] + " -> " + nxt, (trips[i + 1][1] if i + 1 < len(trips) else died[0]) - tr[3]))
        shapes[tuple(s[0] for s in steps)].append([s[1] for s in steps])
    if not shapes:
        print("no submit request with socket events")
        return
    med = lambda xs: sorted(xs)[len(xs) // 2] * 1000
    for shape, rows in sorted(shapes.items(), key=lambda kv: -len(kv[1]))[:2]:
        print(f"{len(rows)} requests with {sum(1 for s in shape if s.startswith('  trip'))} trips (ms, medians):")
        for i, label in enumerate(shape):
            print(f"  {med([r[i] for r in rows]):7.3f}  {label}")
        print(f"  {med([sum(r) for r in rows]):7.3f}  the request thread, start to end")


def parks(path):
    """Waits over the threshold (parks, monitor entries, pinning) on the submits' threads, by what waits."""
    events = json.load(open(path))["recording"]["events"]
    submits = submit_threads(events)
    waits = collections.defaultdict(list)
    for ev in events:
        v = ev["values"]
        frames = [name(f) for f in (v.get("stackTrace") or {}).get("frames", [])]
        if not frames:
            continue
        on_submit = (v.get("eventThread") or {}).get("javaThreadId") in submits
        where = next((f for f in frames if lib(f) in ("srg", "HikariCP", "Jdbi", "pgjdbc", "Jetty")), frames[0])
        waits[(ev["type"].split(".")[-1], "submit" if on_submit else "other", where)].append(seconds(v["duration"]))
    for (kind, thread, where), xs in sorted(waits.items(), key=lambda kv: -sum(kv[1]))[:25]:
        print(f"  {kind:20s} {thread:6s} {len(xs):6d} x, {sum(xs) * 1000:9.1f} ms in all, max {max(xs) * 1000:7.1f}  {where}")


def submit_threads(*event_lists):
    """The request threads that ran a submit (Javalin gives each request a new virtual thread)."""
    return {ev["values"]["eventThread"]["javaThreadId"] for evs in event_lists for ev in evs
            if ev["values"].get("eventThread") and any("InstanceManager.submit" in name(f)
                                                       for f in (ev["values"].get("stackTrace") or {}).get("frames", []))}


def main():
    if sys.argv[1] == "timeline":
        timeline(sys.argv[2])
        return
    if sys.argv[1] == "gaps":
        gaps(sys.argv[2])
        return
    if sys.argv[1] == "parks":
        parks(sys.argv[2])
        return
    events = json.load(open(sys.argv[1]))["recording"]["events"]
    submits = submit_threads(events, json.load(open(sys.argv[2]))["recording"]["events"])
    tasks = int(sys.argv[3])
    phases, libs, leaves, other = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
    pair = collections.Counter()
    total = 0
    for ev in events:
        st = ev["values"].get("stackTrace")
        if not st:
            continue
        frames = [name(f) for f in st["frames"]]
        thread = (ev["values"].get("eventThread") or {}).get("javaThreadId")
        if thread not in submits:
            top = next((lib(f) + " " + f for f in frames if lib(f) == "srg"), None) or (frames[-1] if frames else "?")
            other[top] += 1
            continue
        total += 1
        phase = "HTTP (Jetty, Javalin)"
        for f in frames:
            hit = next((p for key, p in PHASES if key in f), None)
            if hit:
                phase = hit
                break
        caller = next((lib(f) for f in frames if lib(f)), "JDK")
        leaf = frames[0]
        phases[phase] += 1
        libs[caller] += 1
        pair[(phase, caller)] += 1
        leaves[leaf] += 1
    per = lambda k: "%.2f ms" % (k / tasks)
    print(f"{sys.argv[1]}: {total} samples on the submits' request threads ({len(submits)}), {per(total)} per task;"
          f" elsewhere {sum(other.values())} ({per(sum(other.values()))} per task)")
    print("\nby phase (ms per task; the library the time is in)")
    for p, k in phases.most_common():
        split = ", ".join(f"{c} {pair[(p, c)] / tasks:.2f}" for c in sorted({c for (q, c) in pair if q == p},
                                                                            key=lambda c: -pair[(p, c)]))
        print(f"  {per(k):>9}  {p}  [{split}]")
    print("\nby library (ms per task)")
    for c, k in libs.most_common():
        print(f"  {per(k):>9}  {c}")
    print("\nhottest leaves on the submits' threads")
    for f, k in leaves.most_common(25):
        print(f"  {k:6d}  {f}")
    print("\nelsewhere (the first srg frame, else the thread's root)")
    for f, k in other.most_common(12):
        print(f"  {k:6d}  {f}")


main()
