#!/usr/bin/env python3
"""bench/load-client's runner: load-client.py TASKS -- COMMAND... runs the load client (COMMAND),
samples its threads' CPU (user + system ticks of /proc/PID/task/*/stat, every 20 ms: a thread's
last sample counts, so a thread that ends loses at most 20 ms) and prints one line of the client's
CPU per task (its rusage, all threads) and its threads' by name (numbers folded), per task."""
import collections
import os
import re
import resource
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def threads(pid):
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[tid] = (name, int(fields[11]) + int(fields[12]))
    return out


def main():
    tasks = int(sys.argv[1])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    p = subprocess.Popen(cmd)
    last = {}
    while p.poll() is None:
        last.update(threads(p.pid))
        time.sleep(0.02)
    # subprocess reaped it: the rusage of this process's children is the client's alone
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = (r.ru_utime + r.ru_stime) * 1000
    by = collections.Counter()
    for name, ticks in last.values():
        by[re.sub(r"\d+", "N", name)] += ticks * 1000 / HZ
    rest = total - sum(by.values())
    parts = ", ".join(f"{n} {ms / tasks:.2f}" for n, ms in by.most_common() if ms / tasks >= 0.01)
    print(f"client CPU per task {total / tasks:.2f} ms (exit {p.returncode}); by thread: {parts}; unsampled {rest / tasks:.2f}")
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
