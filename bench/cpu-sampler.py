#!/usr/bin/env python3
"""Samples where the machine's CPU goes, every PERIOD s, until killed (issue 17: what runs while the
submissions run). One line per sample: CLOCK_MONOTONIC ns (System.nanoTime's clock), then cumulative
CPU ticks: machine busy, and per class: jvm:<thread-group> for the srg server JVM's threads,
postgres, load (the load client's JVM), tasks (srg's task cgroup), other.

    bench/cpu-sampler.py OUT PERIOD PATTERN

PATTERN: a string in the server's and the load client's command lines (e.g. the worktree's path:
another srg on the host is then "other"); PostgreSQL counts only below the server that matched.
"""
import os, re, sys, time

out, period, pattern = sys.argv[1], float(sys.argv[2]), sys.argv[3].encode()

def group(name):
    for p, g in (('ForkJoinPool', 'carriers'), ('srg-execution', 'execution'), ('srg-launcher', 'launcher-reader'),
                 ('GC ', 'gc'), ('G1 ', 'gc'), ('C2 ', 'jit'), ('C1 ', 'jit'), ('srg-admission', 'ticker'),
                 ('HikariPool', 'hikari'), ('VM Thread', 'vmthread')):
        if name.startswith(p):
            return g
    return 'jvm-other'

def stat(path):
    try:
        s = open(path).read()
    except OSError:
        return None
    r = s.rindex(')')
    f = s[r + 2:].split()
    return s[s.index('(') + 1:r], int(f[11]) + int(f[12]), f[1], int(f[16])  # comm, utime+stime, ppid, nice

def machine():
    f = open('/proc/stat').readline().split()[1:]
    v = [int(x) for x in f]
    return sum(v) - v[3] - v[4]  # all but idle and iowait

def tasks_cpu():
    for f in ('/sys/fs/cgroup/cpuacct/srg/cpuacct.usage', '/sys/fs/cgroup/cpu,cpuacct/srg/cpuacct.usage'):
        try:
            return int(open(f).read()) // 10_000_000  # ns -> ticks
        except OSError:
            pass
    return 0

with open(out, 'w') as o:
    dead = {}  # cumulative ticks of processes gone, per class
    last = {}
    while True:
        t = time.monotonic_ns()
        classes = {}
        seen = {}
        servers, postmasters = set(), set()
        for pid in os.listdir('/proc'):
            if pid.isdigit():
                try:
                    cmd = open(f'/proc/{pid}/cmdline', 'rb').read()
                except OSError:
                    continue
                if pattern in cmd and b'\0server\0' in cmd:
                    servers.add(pid)
        procs = {}
        for pid in os.listdir('/proc'):
            if pid.isdigit() and pid not in servers:
                st = stat(f'/proc/{pid}/stat')
                if st:
                    procs[pid] = st
        postmasters = {pid for pid, st in procs.items() if st[0] == 'postgres' and st[2] in servers}
        for pid in servers:
            try:
                for tid in os.listdir(f'/proc/{pid}/task'):
                    ts = stat(f'/proc/{pid}/task/{tid}/stat')
                    if ts:
                        c = 'jvm:' + group(ts[0])
                        classes[c] = classes.get(c, 0) + ts[1]
            except OSError:
                pass
        for pid, (comm, ticks, ppid, nice) in procs.items():
            cls = 'other'
            if comm == 'postgres' and (pid in postmasters or ppid in postmasters):
                cls = 'postgres'
            elif comm == 'java':
                try:
                    cmd = open(f'/proc/{pid}/cmdline', 'rb').read()
                except OSError:
                    cmd = b''
                if pattern in cmd and b'\0load\0' in cmd:
                    cls = 'load'
            elif comm.startswith('srg-'):
                cls = 'srg-native'
            seen[pid] = (cls, ticks)
        # processes that ended since the last sample keep their last ticks in their class
        for pid, (cls, ticks) in last.items():
            if pid not in seen:
                dead[cls] = dead.get(cls, 0) + ticks
        last = seen
        for cls, ticks in seen.values():
            classes[cls] = classes.get(cls, 0) + ticks
        for cls, ticks in dead.items():
            classes[cls] = classes.get(cls, 0) + ticks
        o.write(f'{t} machine={machine()} tasks={tasks_cpu()} ' + ' '.join(f'{k}={v}' for k, v in sorted(classes.items())) + '\n')
        o.flush()
        time.sleep(period)
