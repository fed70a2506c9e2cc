#!/usr/bin/env python3
# bench/pg-commit/fsync-test.py DIR [N]: as root beside nothing else; DIR is made and removed (docs/benchmarks.md, eleventh round, fs13)
"""fdatasync vs O_DSYNC for 8 KiB sequential overwrites of a pre-zeroed 16 MiB file (a WAL segment's
pattern), alone and beside metadata churn (mkdir/create/write/rename/unlink, as a launch does), on DIR's fs."""
import os, sys, time, multiprocessing, shutil
d = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
os.makedirs(d, exist_ok=True)
seg = os.path.join(d, 'seg')
def prep():
    fd = os.open(seg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    z = b'\0' * (1 << 20)
    for _ in range(16): os.write(fd, z)
    os.fsync(fd); os.close(fd)
def run(flags, sync):
    prep()
    fd = os.open(seg, os.O_WRONLY | flags)
    buf = b'x' * 8192; t = []
    for i in range(n):
        a = time.perf_counter_ns()
        os.pwrite(fd, buf, (i * 8192) % (16 << 20))
        if sync: os.fdatasync(fd)
        t.append((time.perf_counter_ns() - a) / 1e6)
    os.close(fd); t.sort()
    return t
def churn(stop, dofsync):
    root = os.path.join(d, 'churn'); i = 0
    while not stop.is_set():
        p = os.path.join(root, str(i % 50)); os.makedirs(p, exist_ok=True)
        f = os.path.join(p, 'spec'); 
        with open(f + '.tmp', 'w') as fh:
            fh.write('x' * 300)
            if dofsync: fh.flush(); os.fsync(fh.fileno())
        os.rename(f + '.tmp', f)
        if i % 3 == 0: shutil.rmtree(p, ignore_errors=True)
        i += 1; time.sleep(0.002)
def pct(t, p): return t[min(len(t) - 1, int(p / 100 * len(t)))]
def show(name, t): print(f'{name:40s} p50 {pct(t,50):6.2f} p90 {pct(t,90):6.2f} p99 {pct(t,99):6.2f} max {t[-1]:6.2f} ms', flush=True)
for churn_kind in (None, False, True):
    stop = multiprocessing.Event(); pr = None
    if churn_kind is not None:
        pr = multiprocessing.Process(target=churn, args=(stop, churn_kind)); pr.start(); time.sleep(0.2)
    label = {None: 'alone', False: 'beside metadata churn', True: 'beside churn with fsyncs'}[churn_kind]
    show('fdatasync, ' + label, run(0, True))
    show('O_DSYNC, ' + label, run(os.O_DSYNC, False))
    if pr: stop.set(); pr.join()
shutil.rmtree(d)
