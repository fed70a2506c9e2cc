#!/usr/bin/env python3
"""The server's JIT before and inside bench/run's submissions (issue 17), from one traced run.

    bench/jit-window.py TRACE JIT_LOG [--skip N] [--take M]

TRACE: the server's -Dsrg.trace.submit=FILE (as for bench/submit-trace.py); --skip/--take pick
the throughput run's submissions in arrival order (bench/run: --skip 100 --take 600, the defaults).
JIT_LOG: the server's -Xlog:jit+compilation=debug,deoptimization=debug:file=F:tn,uptime (uptime,
then nanoTime, the trace's clock). SRG_JAVA_OPTS gives bench/run's server the two options.

Prints, for each phase of the server's life (the start: up to the first submission; the warm-up:
up to the throughput run's first; the window: its 600 submissions; after: the latency rows), the
compilations by tier (L0: native wrappers; L1: C1 without profiling; L2: C1 with counters; L3: C1 with a full profile;
L4: C2; "osr": on-stack replacement) and the deoptimizations (a method "made not entrant", with
the JVM's reason; an uncommon trap in C2 code, with its reason and action); then the methods C2
compiled in the window and the deoptimizations in it, by method. The thirteenth round's
section in docs/benchmarks.md ("The JIT's warm-up after a start") reads it.
"""
import re, sys, collections
args = sys.argv[1:]; skip, take = 100, 600
if '--skip' in args: i = args.index('--skip'); skip = int(args[i+1]); del args[i:i+2]
if '--take' in args: i = args.index('--take'); take = int(args[i+1]); del args[i:i+2]
trace, jl = args[0], args[1]
origin, subs = None, []
for line in open(trace):
    if line.startswith('# origin nanoTime'): origin = int(line.split()[3])
    elif line.startswith('submit '):
        f = line.split()
        if f[1] == '201': subs.append([int(x) for x in f[2:]])
subs.sort(key=lambda t: t[1]); allsubs = subs; subs = subs[skip:skip+take]
st = lambda t: t[0] if t[0] >= 0 else t[1]
w0, w1 = origin + min(st(t) for t in subs)*1000, origin + max(t[-1] for t in subs)*1000
first = origin + min(st(t) for t in allsubs)*1000
rx = re.compile(r'\[([\d.]+)s\]\[(\d+)ns\] (.*)')
comp = re.compile(r'\s*(\d+)\s+([%sbn!]*)\s*(\d)\s+(\S+)')
phase = lambda ns: 'start' if ns < first else ('warm-up' if ns < w0 else ('window' if ns <= w1 else 'after'))
cnt = collections.Counter(); meth = collections.Counter(); deo = collections.Counter(); deom = collections.Counter(); other = collections.Counter()
up0 = None
for line in open(jl):
    m = rx.match(line)
    if not m: continue
    ns = int(m[2]); msg = m[3]; p = phase(ns)
    if up0 is None: up0 = ns/1e9 - float(m[1])
    c = comp.match(msg)
    if 'made not entrant' in msg:
        r = msg.split('made not entrant:')[1].strip()
        lvl = c[3] if c else '?'
        deo[(p, f'L{lvl} not entrant: {r}')] += 1
        if p == 'window' and lvl == '4': deom[('L4 not entrant: ' + r, c[4])] += 1
    elif msg.startswith('cid='):
        f = msg.split()
        # cid=N level=4 METHOD trap_bci=B REASON ACTION pc=...
        reason, action = f[4], f[5]
        deo[(p, f'trap {reason}/{action}')] += 1
        if p == 'window': deom[(f'trap {reason}/{action}', f[2].split('(')[0])] += 1
    elif c:
        lvl = c[3]; flags = c[2]
        cnt[(p, 'L' + lvl + ('osr' if '%' in flags else ''))] += 1
        if p == 'window' and lvl == '4': meth[c[4]] += 1
    else: other[(p, msg[:40])] += 1
print(f'window {w0/1e9-up0:.2f}-{w1/1e9-up0:.2f} s uptime ({(w1-w0)/1e9:.2f} s); first submission {first/1e9-up0:.2f} s')
for p in ['start', 'warm-up', 'window', 'after']:
    print(p, 'compiles:', ' '.join(f'{k[1]}={v}' for k, v in sorted(cnt.items()) if k[0] == p))
    print(p, 'deopt events:', ' '.join(f'{k[1]}={v}' for k, v in sorted(deo.items(), key=lambda kv: -kv[1]) if k[0] == p)[:600])
print('C2 compiles in the window by method (top 25):')
for k, v in meth.most_common(25): print(f'  {v} {k}')
print('deopts in the window (reason, method) top 25:')
for k, v in deom.most_common(25): print(f'  {v} {k}')
print('other lines:', sum(other.values()), list(other.items())[:8])
