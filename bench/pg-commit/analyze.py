#!/usr/bin/env python3
"""analyze.py DIR: what the embedded PostgreSQL's flushes waited for during bench/run's submit phase.
DIR has perf.data (perf record -k mono: fsync/fdatasync syscalls, ext4_sync_file, jbd2, block), trace.txt
(-Dsrg.trace.submit) and ps.txt (pid -> role snapshots)."""
import sys, subprocess, re, collections
import window
d = sys.argv[1]
skip, take = 100, 600
# --- roles of pids
role = {}
for line in open(f'{d}/ps.txt'):
    f = line.split(None, 3)
    if len(f) == 4 and 'postgres:' in f[3]:
        r = f[3].split('postgres:', 1)[1].strip()
        r = 'backend' if re.search(r'\d+\.\d+\.\d+\.\d+\(', r) else r.split()[0]
        role[int(f[1])] = r
    elif len(f) == 4 and '/bin/postgres ' in f[3]:
        role[int(f[1])] = 'postmaster'
# --- submissions
subs, ns, w0, w1 = window.submissions(d, skip, take)
commits = [(ns(s[1][5]), ns(s[1][6])) for s in subs]
# --- perf events
txt = subprocess.run(['perf', 'script', '-i', f'{d}/perf.data', '--ns', '-F', 'comm,pid,tid,time,event,trace'],
                     capture_output=True, text=True).stdout
ev = []
rx = re.compile(r'^\s*(.+?)\s+(\d+)/(\d+)\s+(\d+)\.(\d+):\s+(\S+):\s*(.*)$')
for line in txt.splitlines():
    m = rx.match(line)
    if not m: continue
    comm, pid, tid, s, frac, name, rest = m.groups()
    t = int(s) * 10**9 + int(frac.ljust(9, '0')[:9])
    ev.append((t, comm, int(pid), int(tid), name.rstrip(':'), rest))
ev.sort()
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v))) - 1))] if v else float('nan')
def stats(v): return f'n {len(v):5d} p50 {pct(v,50):6.2f} p90 {pct(v,90):6.2f} p99 {pct(v,99):6.2f} max {max(v) if v else 0:6.2f} sum {sum(v):7.1f}'
inwin = lambda a, b: b > w0 and a < w1
# syscalls
open_ = {}; syncs = []   # (start, end, pid, tid, kind)
for t, comm, pid, tid, name, rest in ev:
    if name in ('syscalls:sys_enter_fdatasync', 'syscalls:sys_enter_fsync'):
        open_[tid] = (t, name.split('_')[-1])
    elif name in ('syscalls:sys_exit_fdatasync', 'syscalls:sys_exit_fsync') and tid in open_:
        a, k = open_.pop(tid); syncs.append((a, t, pid, tid, k, comm))
# jbd2 commits
jstart = {}; jcommits = []; runstats = []
for t, comm, pid, tid, name, rest in ev:
    if name == 'jbd2:jbd2_start_commit':
        m = re.search(r'transaction (\d+)', rest); jstart[m.group(1)] = t
    elif name == 'jbd2:jbd2_end_commit':
        m = re.search(r'transaction (\d+)', rest)
        if m.group(1) in jstart: jcommits.append((jstart.pop(m.group(1)), t, m.group(1)))
    elif name == 'jbd2:jbd2_run_stats' and w0 <= t <= w1:
        runstats.append(rest)
print(f'submit window {(w1 - w0) / 1e9:.2f} s, {len(subs)} submissions; events {len(ev)}')
print('\n== flushes (fsync/fdatasync) in the window, ms, by process')
by = collections.defaultdict(list)
for a, b, pid, tid, k, comm in syncs:
    if inwin(a, b):
        r = role.get(pid, comm) if comm == 'postgres' else comm
        by[(r, k)].append((b - a) / 1e6)
for key in sorted(by, key=lambda k: -sum(by[k])): print(f'{key[0][:28]:28s} {key[1]:9s} {stats(by[key])}')
pgs = [(a, b) for a, b, pid, tid, k, comm in syncs if comm == 'postgres' and inwin(a, b)]
# waits on journal: a PG flush during which a jbd2 commit ended and which returned within 0.5 ms after it
jw = 0; jt = []
for a, b in pgs:
    for c0, c1, tx in jcommits:
        if a <= c1 <= b and b - c1 < 500_000:
            jw += 1; jt.append((b - a) / 1e6); break
print(f'PG flushes that ended within 0.5 ms of a jbd2 commit ending inside them: {jw} of {len(pgs)}; their durations: {stats(jt) if jt else "-"}')
print(f'jbd2 commits in the window: {sum(1 for c0, c1, _ in jcommits if inwin(c0, c1))}; durations ms: {stats([(c1 - c0) / 1e6 for c0, c1, _ in jcommits if inwin(c0, c1)])}')
for r in runstats[:8]: print('  run_stats', r)
# the COMMIT phase against the flushes in flight
def ov(a0, a1, b0, b1): return max(0, min(a1, b1) - max(a0, b0))
flush_iv = sorted(pgs)
merged = []
for a, b in flush_iv:
    if merged and a <= merged[-1][1]: merged[-1][1] = max(merged[-1][1], b)
    else: merged.append([a, b])
cov = []; cdur = []
for c0, c1 in commits:
    cdur.append((c1 - c0) / 1e6); cov.append(sum(ov(c0, c1, a, b) for a, b in merged) / 1e6)
print(f'\n== COMMIT phase (server trace), ms: {stats(cdur)}')
print(f'   of which a PG flush was in flight:  {stats(cov)}')
print(f'   share of all COMMIT time with a flush in flight: {sum(cov) / sum(cdur):.1%}; machine time with a PG flush in flight in the window: {sum(b - a for a, b in merged if inwin(a, b)) / (w1 - w0):.1%}')
slow = sorted(range(len(cdur)), key=lambda i: -cdur[i])[:10]
print('   slowest COMMITs: ' + ', '.join(f'{cdur[i]:.1f} ({cov[i]:.1f} flushing)' for i in slow))
