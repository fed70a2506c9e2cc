#!/usr/bin/env python3
"""delay.py DIR: how often a backend slept (commit_delay's pg_usleep -> nanosleep/clock_nanosleep/select) in the
submit window, and inside which answers (commits: 23 bytes)."""
import sys, subprocess, re, collections
import window
d = sys.argv[1]; skip, take = 100, 600
subs, ns, w0, w1 = window.submissions(d, skip, take)
txt = subprocess.run(['perf', 'script', '-i', f'{d}/perf.data', '--ns', '-F', 'comm,tid,time,event,trace'], capture_output=True, text=True).stdout
rx = re.compile(r'^\s*(.+?)\s+(\d+)\s+(\d+)\.(\d+):\s+(\S+):\s*(.*)$')
cur = {}; sleeps = collections.Counter(); inside = collections.Counter(); total_sleeps = 0; commits = 0; fl = 0; fs = {}
for line in txt.splitlines():
    m = rx.match(line)
    if not m: continue
    comm, tid, s, frac, name, rest = m.groups(); tid = int(tid); t = int(s) * 10**9 + int(frac)
    if not (w0 <= t <= w1) or comm != 'postgres': continue
    if name == 'syscalls:sys_exit_recvfrom': cur.setdefault(tid, [t, 0, 0])
    elif name in ('syscalls:sys_enter_nanosleep', 'syscalls:sys_enter_clock_nanosleep', 'syscalls:sys_enter_select'):
        total_sleeps += 1
        if tid in cur: cur[tid][1] += 1
    elif name == 'syscalls:sys_enter_fdatasync' and tid in cur: cur[tid][2] += 1
    elif name == 'syscalls:sys_enter_sendto' and tid in cur:
        a, n, f = cur.pop(tid); ln = int(re.search(r'len: (0x[0-9a-f]+)', rest).group(1), 16)
        if ln == 23:
            commits += 1; fl += 1 if f else 0
            inside['commit, slept' if n else 'commit, no sleep'] += 1
        elif n: inside[f'other ({ln} bytes), slept'] += 1
print(f'{d}: sleeps by backends in the window: {total_sleeps}; commits {commits}, flushed by their own backend {fl}; ' + ', '.join(f'{k} {v}' for k, v in inside.items()))
