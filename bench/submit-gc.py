#!/usr/bin/env python3
"""The collector's work inside bench/run's submissions (issue 17), from one traced run.

    bench/submit-gc.py TRACE GC_LOG [SAFEPOINT_LOG] [--skip N] [--take M]

TRACE: the server's -Dsrg.trace.submit=FILE (as for bench/submit-trace.py); --skip/--take pick
the throughput run's submissions in arrival order (bench/run: --skip 100 --take 600, the defaults).
GC_LOG: the server's -Xlog:gc*=info,codecache=info:file=F:tn,uptime (the decorations in that
order: uptime, then nanoTime, the trace's clock). SAFEPOINT_LOG: -Xlog:safepoint:file=F:tn.

Prints the submissions' window in the server's uptime; every concurrent cycle's start and its
cause (Metadata GC Threshold, CodeCache GC Threshold, the heap's occupancy); the code cache's
own trigger lines; every pause and cycle inside the window; and, with the safepoint log, for
each Remark in the window the submissions it stopped and where they rank among the slowest
(the p99 of 600 is the 6th slowest).
"""
import re, sys

args = sys.argv[1:]
skip, take = 100, 600
if '--skip' in args:
    i = args.index('--skip'); skip = int(args[i + 1]); del args[i:i + 2]
if '--take' in args:
    i = args.index('--take'); take = int(args[i + 1]); del args[i:i + 2]
trace, gclog = args[0], args[1]
sp_log = args[2] if len(args) > 2 else None

origin, subs = None, []
for line in open(trace):
    if line.startswith('# origin nanoTime'):
        origin = int(line.split()[3])
    elif line.startswith('submit '):
        f = line.split()
        if f[1] == '201':
            subs.append([int(x) for x in f[2:]])
subs.sort(key=lambda t: t[1])
subs = subs[skip:skip + take]
if not subs:
    sys.exit(f'no submissions in {trace} after --skip {skip}')
start = lambda t: t[0] if t[0] >= 0 else t[1]   # µs from the origin: arrived (or the first handler)
w0, w1 = origin + min(start(t) for t in subs) * 1000, origin + max(t[-1] for t in subs) * 1000

line_re = re.compile(r'\[([\d.]+)s\]\[(\d+)ns\] (.*)')
events, offset = [], None
for line in open(gclog):
    m = line_re.match(line)
    if m:
        up, ns, msg = float(m.group(1)), int(m.group(2)), m.group(3)
        if offset is None:
            offset = ns / 1e9 - up
        events.append((up, ns, msg))
if offset is None:
    sys.exit(f'{gclog}: no line decorated [uptime][nanoTime] (-Xlog:...:tn,uptime)')
print(f'{len(subs)} submissions: window {w0 / 1e9 - offset:.2f}-{w1 / 1e9 - offset:.2f} s of the server\'s uptime '
      f'({(w1 - w0) / 1e9:.2f} s)')
print('concurrent cycles started:')
for up, ns, msg in events:
    if 'Pause Young (Concurrent Start)' in msg and not msg.endswith('ms'):
        print(f'  {up:7.2f} {msg}')
print('the code cache\'s triggers:')
for up, ns, msg in events:
    if 'Triggering' in msg:
        print(f'  {up:7.2f} {msg}')
print('inside the window:')
pauses = 0.0
for up, ns, msg in events:
    if w0 <= ns <= w1 and (re.match(r'GC\(\d+\) Pause \w+.*ms$', msg) or re.match(r'GC\(\d+\) Concurrent (Mark|Undo) Cycle', msg)):
        print(f'  {up:7.2f} {msg}')
        if ' Pause ' in msg:
            pauses += float(msg.rsplit(' ', 1)[1][:-2])
print(f'  pauses in the window: {pauses:.1f} ms')

if sp_log:
    totals = sorted(((t[-1] - start(t)) / 1000.0, k) for k, t in enumerate(subs))
    rank = {k: len(totals) - r for r, (_, k) in enumerate(totals)}   # 1 = the slowest
    for line in open(sp_log):
        m = re.match(r'\[(\d+)ns\] Safepoint "G1PauseRemark".*Total: (\d+) ns', line)
        if not m:
            continue
        b = (int(m.group(1)) - origin) / 1000.0
        a = b - int(m.group(2)) / 1000.0
        hit = [k for k, t in enumerate(subs) if start(t) < a and t[-1] > b]
        if hit:
            print(f'Remark of {(b - a) / 1000:.1f} ms stopped {len(hit)} submissions; their server times (ms) '
                  f'{sorted(round((subs[k][-1] - start(subs[k])) / 1000) for k in hit)}, their ranks among the '
                  f'slowest {sorted(rank[k] for k in hit)}')
