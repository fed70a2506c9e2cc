#!/usr/bin/env python3
"""commit.py DIR: the COMMIT as the database sees it. Per backend, each message it handled (recvfrom returned ->
its answer's sendto). Commits: the answers of the size that the answers around the backend's own fdatasync
have. For those in the submit window: how long, and of it: the backend's own fdatasync, waiting runnable for a
core, on a core, and asleep otherwise (waiting for another backend's flush: the WAL write lock)."""
import sys, subprocess, re, collections
import window
d = sys.argv[1]; skip, take = 100, 600
subs, ns, w0, w1 = window.submissions(d, skip, take)
java_commit = sorted((ns(s[1][6]) - ns(s[1][5])) / 1e6 for s in subs)
txt = subprocess.run(['perf', 'script', '-i', f'{d}/perf.data', '--ns', '-F', 'comm,tid,time,event,trace'], capture_output=True, text=True).stdout
rx = re.compile(r'^\s*(.+?)\s+(\d+)\s+(\d+)\.(\d+):\s+(\S+):\s*(.*)$')
msgs = collections.defaultdict(list)   # tid -> [start, end, len, fsync_ns, ready_ns, run_ns]
cur = {}; fs_open = {}; ready = {}; oncpu = {}
for line in txt.splitlines():
    m = rx.match(line)
    if not m: continue
    comm, tid, s, frac, name, rest = m.groups(); tid = int(tid); t = int(s) * 10**9 + int(frac)
    if name == 'syscalls:sys_exit_recvfrom' and comm == 'postgres':
        if int(rest.split('0x')[-1], 16) < 0x8000000000000000 and int(rest.split('0x')[-1], 16) > 0:
            if tid not in cur: cur[tid] = [t, None, 0, 0, 0, 0]
    elif name == 'syscalls:sys_enter_sendto' and comm == 'postgres' and tid in cur:
        c = cur.pop(tid); c[1] = t; c[2] = int(re.search(r'len: (0x[0-9a-f]+)', rest).group(1), 16); msgs[tid].append(c)
    elif name == 'syscalls:sys_enter_fdatasync' and comm == 'postgres': fs_open[tid] = t
    elif name == 'syscalls:sys_exit_fdatasync' and tid in fs_open:
        a = fs_open.pop(tid)
        if tid in cur: cur[tid][3] += t - a
    elif name == 'sched:sched_wakeup':
        mm = re.search(r'comm=(.*) pid=(\d+)', rest)
        if mm.group(1) == 'postgres': ready.setdefault(int(mm.group(2)), t)
    elif name == 'sched:sched_switch':
        mm = re.match(r'prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)', rest)
        pc, pp, ps, nc, np = mm.group(1), int(mm.group(2)), mm.group(3), mm.group(4), int(mm.group(5))
        if pc == 'postgres':
            if pp in oncpu and pp in cur: cur[pp][5] += t - oncpu[pp]
            oncpu.pop(pp, None)
            if ps.startswith('R'): ready[pp] = t
        if nc == 'postgres':
            if np in ready and np in cur: cur[np][4] += t - max(ready[np], cur[np][0])
            ready.pop(np, None); oncpu[np] = t
all_msgs = [m for v in msgs.values() for m in v if w0 <= m[0] and m[1] <= w1]
lens = collections.Counter(m[2] for m in all_msgs if m[3] > 0)
print(f'{d}: {len(all_msgs)} backend messages answered in the window; answer sizes of those with a flush: {lens.most_common(4)}')
clen = lens.most_common(1)[0][0]
com = [m for m in all_msgs if m[2] == clen]
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v))) - 1))] if v else float('nan')
def st(v): return f'p50 {pct(v,50):6.2f} p90 {pct(v,90):6.2f} p99 {pct(v,99):6.2f} max {max(v):6.2f} mean {sum(v)/len(v):6.2f}'
tot = [(m[1] - m[0]) / 1e6 for m in com]
print(f'commits (answer of {clen} bytes): {len(com)}, {sum(1 for m in com if m[3] > 0)} flushed by their own backend')
print(f'  the database\'s COMMIT (receive -> answer)   {st(tot)} ms')
for i, nm in ((3, 'its own fdatasync'), (4, 'runnable, waiting for a core'), (5, 'on a core')):
    print(f'  {nm:42s} {st([m[i] / 1e6 for m in com])} ms')
print(f'  {"asleep otherwise (another flush, a lock)":42s} {st([(m[1] - m[0] - m[3] - m[4] - m[5]) / 1e6 for m in com])} ms (incl. own flush overlap)')
print(f'  the Java side\'s COMMIT phase (same window)   {st(java_commit)} ms')
oth = [(m[1] - m[0]) / 1e6 for m in all_msgs if m[2] != clen]
print(f'  every other message the backends answered  {st(oth)} ms (n {len(oth)})')
slow = sorted(com, key=lambda m: m[0] - m[1])[:8]
print('  the slowest database COMMITs (total: own flush / runnable / on core / asleep): ' + '; '.join(
    f'{(m[1]-m[0])/1e6:.1f}: {m[3]/1e6:.1f}/{m[4]/1e6:.1f}/{m[5]/1e6:.1f}/{(m[1]-m[0]-m[3]-m[4]-m[5])/1e6:.1f}' for m in slow))
