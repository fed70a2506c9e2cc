#!/usr/bin/env python3
"""When DataService's slow calls came, from the server's own call log (bench/dataservice DS_CALLS=DIR).

Reads DIR/calls.csv (start in epoch ms, the call's time in the server in ms, status), and the
safepoint logs DIR/server-safepoint.log and DIR/worker-safepoint.log when they are there. Prints:
the server-side p50/p99; the slow calls (SLOW_MS, default 10) merged into stalls (slow calls whose
spans overlap); how many stalls a second and how long; how many stalls overlap a pause of either
JVM; and, for candidate periods, how strongly the stalls' starts line up with the period (the
Rayleigh length of their phases: 0 = no relation, 1 = every stall at the same phase).

    python3 bench/ds-calls.py DIR [SLOW_MS]
"""
import cmath
import math
import os
import re
import sys


def pct(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] if sorted_values else float("nan")


def pauses(path):
    """(start ms, end ms, kind) of each safepoint over 1 ms; the log line is written at its end."""
    out = []
    if not os.path.exists(path):
        return out
    line_re = re.compile(r'^\[(\d+)ms\].*Safepoint "(\w+)".*Total: (\d+) ns')
    with open(path) as f:
        for line in f:
            m = line_re.search(line)
            if m and int(m.group(3)) > 1_000_000:
                end = int(m.group(1))
                out.append((end - int(m.group(3)) / 1e6, end, m.group(2)))
    return out


def main():
    d = sys.argv[1]
    slow = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    calls = []
    with open(os.path.join(d, "calls.csv")) as f:
        for line in f:
            start, latency, status = line.strip().split(",")
            calls.append((float(start), float(latency), int(status)))
    if not calls:
        print("ds-calls: no calls in the window")
        return
    lat = sorted(c[1] for c in calls)
    span_s = (calls[-1][0] - calls[0][0]) / 1000
    print(f"ds-calls: {len(calls)} calls in {span_s:.1f} s; in the server p50 {pct(lat, .5):.2f} ms, "
          f"p99 {pct(lat, .99):.2f} ms, p99.9 {pct(lat, .999):.2f} ms, max {lat[-1]:.1f} ms")
    slow_calls = sorted((c[0], c[0] + c[1]) for c in calls if c[1] >= slow)
    stalls = []
    for s, e in slow_calls:
        if stalls and s <= stalls[-1][1]:
            stalls[-1][1] = max(stalls[-1][1], e)
            stalls[-1][2] += 1
        else:
            stalls.append([s, e, 1])
    if not stalls:
        print(f"ds-calls: no call of {slow} ms or more")
        return
    dur = sorted(e - s for s, e, _ in stalls)
    per = sorted(n for _, _, n in stalls)
    print(f"ds-calls: {len(slow_calls)} calls of {slow} ms or more ({100 * len(slow_calls) / len(calls):.2f} %), "
          f"in {len(stalls)} stalls ({len(stalls) / span_s:.1f} a second); a stall lasts p50 {pct(dur, .5):.1f} ms, "
          f"max {dur[-1]:.1f} ms, and holds p50 {pct(per, .5)} slow calls, max {per[-1]}")
    for who in ("server", "worker"):
        ps = pauses(os.path.join(d, f"{who}-safepoint.log"))
        if not ps:
            continue
        hit = [st for st in stalls if any(p0 <= st[1] and p1 >= st[0] for p0, p1, _ in ps)]
        kinds = {}
        for st in hit:
            for p0, p1, k in ps:
                if p0 <= st[1] and p1 >= st[0]:
                    kinds[k] = kinds.get(k, 0) + 1
        print(f"ds-calls: {len(hit)} of {len(stalls)} stalls ({sum(n for _, _, n in hit)} of {len(slow_calls)} slow calls) "
              f"overlap a pause over 1 ms of the {who}'s JVM ({len(ps)} such pauses in its log); by kind: "
              + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"))
    starts = [s for s, _, _ in stalls]
    lines = []
    for period in (20, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        r = abs(sum(cmath.exp(2j * math.pi * (t % period) / period) for t in starts)) / len(starts)
        lines.append(f"{period} ms {r:.2f}")
    print("ds-calls: the stalls' starts against a period (Rayleigh length; random ~"
          f"{1 / math.sqrt(len(starts)):.2f}): " + ", ".join(lines))


if __name__ == "__main__":
    main()
