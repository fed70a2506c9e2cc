#!/usr/bin/env python3
"""sched.py DIR: in the submit window, how long the PostgreSQL backends and the srg server's carrier threads
waited runnable for a core (wakeup or preemption -> switched in), against their time on a core."""
import sys, subprocess, re, collections
import window
d = sys.argv[1]; skip, take = 100, 600
subs, ns, w0, w1 = window.submissions(d, skip, take)
srg_tids = set(); pg = {}
jar = open(f'{d}/jar-name').read().strip()
for line in open(f'{d}/ps.txt'):
    f = line.split(None, 3)
    if len(f) < 4: continue
    if jar in f[3] and ' server ' in f[3]: srg_tids.add(int(f[1]))
    elif 'postgres:' in f[3]:
        r = f[3].split('postgres:', 1)[1].strip()
        pg[int(f[1])] = 'backend' if re.search(r'\d+\.\d+\.\d+\.\d+\(', r) else r.split()[0]
txt = subprocess.run(['perf', 'script', '-i', f'{d}/perf.data', '--ns', '-F', 'time,event,trace'], capture_output=True, text=True).stdout
def cls(pid, comm):
    if pid in pg: return 'pg ' + pg[pid]
    if pid in srg_tids and comm.startswith('ForkJoinPool'): return 'srg carrier'
    if pid in srg_tids: return 'srg other'
    return None
ready = {}; oncpu = {}; wait = collections.defaultdict(list); run = collections.defaultdict(float); n_pre = collections.Counter()
rx = re.compile(r'^\s*(\d+)\.(\d+):\s+(\S+):\s*(.*)$')
for line in txt.splitlines():
    m = rx.match(line)
    if not m: continue
    t = int(m.group(1)) * 10**9 + int(m.group(2)); name = m.group(3); rest = m.group(4)
    if not (w0 <= t <= w1): continue
    if name == 'sched:sched_wakeup':
        mm = re.search(r'comm=(.*) pid=(\d+)', rest); pid = int(mm.group(2))
        if cls(pid, mm.group(1)) and pid not in ready: ready[pid] = t
    elif name == 'sched:sched_switch':
        mm = re.match(r'prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)', rest)
        pc, pp, ps, nc, np = mm.group(1), int(mm.group(2)), mm.group(3), mm.group(4), int(mm.group(5))
        c = cls(pp, pc)
        if c and pp in oncpu: run[c] += t - oncpu.pop(pp)
        if c and ps.startswith('R'): ready[pp] = t; n_pre[c] += 1
        c = cls(np, nc)
        if c:
            if np in ready: wait[c].append(t - ready.pop(np))
            oncpu[np] = t
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v))) - 1))] if v else float('nan')
W = (w1 - w0) / 1e6
print(f'{d}: window {W:.0f} ms')
print(f'{"class":14s} {"waits":>6s} {"preempt":>7s} {"wait p50":>8s} {"p90":>6s} {"p99":>6s} {"max":>6s} {"wait sum":>9s} {"on cpu":>8s}   (ms)')
for c in sorted(wait):
    v = [x / 1e6 for x in wait[c]]
    print(f'{c:14s} {len(v):6d} {n_pre[c]:7d} {pct(v,50):8.2f} {pct(v,90):6.2f} {pct(v,99):6.2f} {max(v):6.2f} {sum(v):9.0f} {run[c]/1e6:8.0f}')
