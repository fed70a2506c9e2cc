"""The submit window of a capture (bench/pg-commit/capture): the submissions of trace.txt (-Dsrg.trace.submit)
after the warm-up, accepted (201), in the order they began; their times as System.nanoTime (perf's -k mono)."""


def submissions(d, skip=100, take=600):
    """(subs, ns, w0, w1): subs = [(status, [phase times in µs])], ns(µs) -> ns, the window [w0, w1] in ns."""
    origin = None
    subs = []
    for line in open(f'{d}/trace.txt'):
        if line.startswith('# origin nanoTime'):
            origin = int(line.split()[3])
        elif line.startswith('submit '):
            f = line.split()
            subs.append((int(f[1]), [int(x) for x in f[2:]]))
    subs.sort(key=lambda s: s[1][1])
    subs = [s for s in subs[skip:skip + take] if s[0] == 201]

    def ns(us):
        return origin + us * 1000

    return subs, ns, ns(subs[0][1][1]), ns(max(s[1][-1] for s in subs))
