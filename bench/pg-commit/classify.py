#!/usr/bin/env python3
"""classify.py DIR: each PG fdatasync in the submit window by what it wrote (block requests issued by its thread
inside it): data only, data + inode block (WSM), a segment's zero fill (>=1 MiB), and the commits behind it."""
import sys, subprocess, re, collections
import window
d = sys.argv[1]; skip, take = 100, 600
subs, ns, w0, w1 = window.submissions(d, skip, take)
commits = [(ns(s[1][5]), ns(s[1][6])) for s in subs]
txt = subprocess.run(['perf', 'script', '-i', f'{d}/perf.data', '--ns', '-F', 'comm,tid,time,event,trace'], capture_output=True, text=True).stdout
rx = re.compile(r'^\s*(.+?)\s+(\d+)\s+(\d+)\.(\d+):\s+(\S+):\s*(.*)$')
open_ = {}; out = []; flushes = []; ff_issue = []
for line in txt.splitlines():
    m = rx.match(line)
    if not m: continue
    comm, tid, s, frac, name, rest = m.groups(); tid = int(tid); t = int(s) * 10**9 + int(frac)
    if name == 'syscalls:sys_enter_fdatasync' and comm == 'postgres': open_[tid] = [t, []]
    elif name == 'block:block_rq_issue' and tid in open_:
        f = rest.split(); open_[tid][1].append((f[1], int(f[2])))
    elif name == 'block:block_rq_issue' and ' FF ' in rest: ff_issue.append((t, comm))
    elif name == 'syscalls:sys_exit_fdatasync' and tid in open_:
        a, w = open_.pop(tid); out.append((a, t, w))
win = [(a, b, w) for a, b, w in out if b > w0 and a < w1]
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v))) - 1))] if v else float('nan')
def st(v): return f'n {len(v):4d} p50 {pct(v,50):6.2f} p90 {pct(v,90):6.2f} p99 {pct(v,99):6.2f} max {max(v) if v else 0:7.2f} sum {sum(v):7.1f} ms'
cls = collections.defaultdict(list)
for a, b, w in win:
    big = any(n >= 1 << 20 for r, n in w); meta = any('M' in r for r, n in w); flush = any(r.startswith('F') for r, n in w)
    k = 'segment zero-fill' if big else ('data + inode (WSM)' if meta else ('data only' if w else 'nothing written'))
    cls[k].append((b - a) / 1e6)
print(f'{d}: {len(win)} PG fdatasyncs in the {(w1-w0)/1e9:.2f} s window; flush (FF) requests issued in it: {sum(1 for t, c in ff_issue if w0 <= t <= w1)}')
for k, v in sorted(cls.items(), key=lambda kv: -sum(kv[1])): print(f'  {k:22s} {st(v)}')
# the submissions whose COMMIT overlapped a segment zero-fill
zf = [(a, b) for a, b, w in win if any(n >= 1 << 20 for r, n in w)]
hit = [(c1 - c0) / 1e6 for c0, c1 in commits if any(a < c1 and b > c0 for a, b in zf)]
miss = [(c1 - c0) / 1e6 for c0, c1 in commits if not any(a < c1 and b > c0 for a, b in zf)]
print(f'  COMMITs overlapping a zero-fill: {st(hit)}\n  the others:                      {st(miss)}')
