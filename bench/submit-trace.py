#!/usr/bin/env python3
"""Splits the submit call's time on the server by phase (issue 17), from a -Dsrg.trace.submit file.

    bench/submit-trace.py TRACE [SAFEPOINT_LOG] [--skip N] [--take M] [--cpu SAMPLES]

TRACE: the file a server with -Dsrg.trace.submit=FILE wrote when it stopped. The submissions are
taken in arrival order; --skip N leaves out the first N (bench/run's warm-up: SRG_BENCH_WARMUP),
--take M keeps the next M (the throughput run: SRG_BENCH_TASKS). SAFEPOINT_LOG: the JVM's
-Xlog:safepoint:file=F:tn (nanoTime decorations), to count the pauses inside each submission.
Prints per phase p50/p90/p99/max and the mean share, then the slowest submissions (1 %) phase by
phase with what overlapped them: admissions, launches, exits written, safepoints.
"""
import sys, re, os

args = sys.argv[1:]
skip, take = 0, None
if '--skip' in args:
    i = args.index('--skip'); skip = int(args[i + 1]); del args[i:i + 2]
if '--take' in args:
    i = args.index('--take'); take = int(args[i + 1]); del args[i:i + 2]
cpu_file = None
if '--cpu' in args:
    i = args.index('--cpu'); cpu_file = args[i + 1]; del args[i:i + 2]
trace = args[0]
sp_log = args[1] if len(args) > 1 else None

origin = None
phases = None
subs, spans = [], []
for line in open(trace):
    if line.startswith('# origin nanoTime'):
        origin = int(line.split()[3])
    elif line.startswith('# submit'):
        phases = line.split()[3:]
    elif line.startswith('submit '):
        f = line.split()
        subs.append((int(f[1]), [int(x) for x in f[2:]]))
    elif line.startswith('span '):
        f = line.split()
        spans.append((f[1], int(f[2]), int(f[3]), int(f[4])))
subs.sort(key=lambda s: s[1][1])
subs = subs[skip:]
if take is not None:
    subs = subs[:take]
subs = [s for s in subs if s[0] == 201]
safepoints = []
if sp_log:
    for line in open(sp_log):
        m = re.match(r'\[(\d+)ns\] Safepoint "([^"]+)".*Total: (\d+) ns', line)
        if m:
            end = (int(m.group(1)) - origin) / 1000.0
            safepoints.append((m.group(2), end - int(m.group(3)) / 1000.0, end))

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v))) - 1))] if v else float('nan')

# the parts: each phase's end minus the previous one's (ms); arrived may be missing (-1)
names = ['carrier (arrived->handler)', 'auth', 'checks+reads', 'pool+begin (-> tx)', 'tx statements', 'COMMIT',
         'after commit (ledger, answer JSON)', 'answer written (-> logged)']
rows = []
for status, t in subs:
    parts = []
    for k in range(1, len(t)):
        a, b = t[k - 1], t[k]
        parts.append((b - a) / 1000.0 if a >= 0 and b >= 0 else float('nan'))
    total = (t[-1] - (t[0] if t[0] >= 0 else t[1])) / 1000.0
    rows.append((total, parts, t))
print(f'{len(rows)} submissions (201) from {trace}; skip {skip}, take {take}')
if not rows:
    sys.exit(0)
totals = [r[0] for r in rows]
wall = (rows[-1][2][-1] - rows[0][2][1]) / 1e6
print(f'span {wall:.2f} s, {len(rows) / wall:.0f} submits/s')
print(f'{"part":40s} {"p50":>7s} {"p90":>7s} {"p99":>7s} {"max":>7s} {"mean":>7s} {"share":>6s}')
tot_mean = sum(totals) / len(totals)
for i, n in enumerate(names):
    v = [r[1][i] for r in rows if r[1][i] == r[1][i]]
    if not v:
        continue
    mean = sum(v) / len(v)
    print(f'{n:40s} {pct(v,50):7.2f} {pct(v,90):7.2f} {pct(v,99):7.2f} {max(v):7.2f} {mean:7.2f} {mean / tot_mean:6.1%}')
print(f'{"server total (arrived->logged)":40s} {pct(totals,50):7.2f} {pct(totals,90):7.2f} {pct(totals,99):7.2f} {max(totals):7.2f} {tot_mean:7.2f}')

def overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))

# the slowest 5 %: mean of each part there, against the fastest half
rows_sorted = sorted(rows, key=lambda r: r[0])
n = len(rows_sorted)
tail = rows_sorted[int(n * 0.95):]
head = rows_sorted[:n // 2]
print(f'\nmean per part (ms): the fastest half ({len(head)}) | the slowest 5 % ({len(tail)}) | the tail\'s excess')
for i, nm in enumerate(names):
    h = [r[1][i] for r in head if r[1][i] == r[1][i]]
    t = [r[1][i] for r in tail if r[1][i] == r[1][i]]
    if h and t:
        print(f'{nm:40s} {sum(h)/len(h):7.2f} {sum(t)/len(t):7.2f} {sum(t)/len(t) - sum(h)/len(h):7.2f}')

def busy(r, kinds):
    a0, a1 = (r[2][0] if r[2][0] >= 0 else r[2][1]), r[2][-1]
    out = {}
    for name, b0, b1, c in spans:
        if name in kinds:
            out[name] = out.get(name, 0.0) + overlap(a0, a1, b0, b1) / 1000.0
    return out

kinds = ('admit', 'launch', 'exits', 'markRunning')
print('\noverlap with competing work (ms of span time inside the submission, summed; mean): fastest half | slowest 5 %')
for k in kinds:
    h = sum(busy(r, (k,)).get(k, 0) for r in head) / len(head)
    t = sum(busy(r, (k,)).get(k, 0) for r in tail) / len(tail)
    print(f'{k:14s} {h:8.2f} {t:8.2f}')
if safepoints:
    def sp(r):
        a0, a1 = (r[2][0] if r[2][0] >= 0 else r[2][1]), r[2][-1]
        return sum(overlap(a0, a1, s0, s1) for _, s0, s1 in safepoints) / 1000.0
    print(f'{"safepoints":14s} {sum(sp(r) for r in head)/len(head):8.2f} {sum(sp(r) for r in tail)/len(tail):8.2f}')
    t0, t1 = rows[0][2][1], rows[-1][2][-1]
    inrun = [(k, (e - s) / 1000) for k, s, e in safepoints if s >= t0 and e <= t1]
    print(f'safepoints during these submissions: {len(inrun)}, {sum(d for _, d in inrun):.1f} ms in all, max {max([d for _, d in inrun], default=0):.1f} ms: '
          + ', '.join(f'{k} {d:.1f}' for k, d in inrun[:12]))
print('\nthe slowest 1 %, per part (ms):')
for r in rows_sorted[-max(1, n // 100):]:
    print(f'{r[0]:8.1f}: ' + ' '.join(f'{x:6.1f}' for x in r[1]))

# --cpu SAMPLES (bench/cpu-sampler.py's output): the CPU of each class inside the submissions' window
if cpu_file:
    samples = []
    for line in open(cpu_file):
        f = line.split()
        samples.append((int(f[0]), {k: int(v) for k, v in (x.split('=') for x in f[1:])}))
    w0 = origin + rows[0][2][1] * 1000
    w1 = origin + rows[-1][2][-1] * 1000
    a = max((s for s in samples if s[0] <= w0), key=lambda s: s[0], default=samples[0])
    b = min((s for s in samples if s[0] >= w1), key=lambda s: s[0], default=samples[-1])
    secs = (b[0] - a[0]) / 1e9
    tick = 1000.0 / os.sysconf('SC_CLK_TCK')
    print(f'\nCPU in the submissions\' window ({secs:.2f} s between samples, {len(rows)} submits): ms per submit, share of the machine')
    keys = sorted(set(a[1]) | set(b[1]))
    total = (b[1].get('machine', 0) - a[1].get('machine', 0)) * tick
    for k in keys:
        d = (b[1].get(k, 0) - a[1].get(k, 0)) * tick
        if k == 'tasks':
            d = (b[1].get(k, 0) - a[1].get(k, 0)) * 10.0
        print(f'  {k:22s} {d / len(rows):7.2f} {d / total if total else 0:6.1%}')
    print(f'  machine capacity      {2000 * secs / len(rows):7.2f} (2 cores x the window)')
