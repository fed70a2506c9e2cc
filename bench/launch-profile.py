#!/usr/bin/env python3
"""bench/launch-profile's table: per task, the time between the steps of its launch.

Input (the directory bench/launch-profile fills): perf.txt (perf script of the system-call
tracepoints, monotonic clock), mark (wall and monotonic time at one moment), instances.txt (id,
queued_at, started_at of the profiled tasks, in submit order), lat.ms (the load client's samples),
server.pid. Tasks run one at a time, so the n-th supervisor of the server is the n-th instance.
"""
import os
import re
import statistics
import sys

d = sys.argv[1]
wall, mono = map(float, open(os.path.join(d, 'mark')).read().split())
events = []  # (wall time, comm, pid, tid, event, value)
children = {}  # pid -> the pids it forked (sched_process_fork: host pids, whatever namespace the child is in)
for line in open(os.path.join(d, 'perf.txt'), errors='replace'):
    f = re.search(r'sched:sched_process_fork:.*\bpid=(\d+) .*child_pid=(\d+)', line)
    if f:
        children.setdefault(int(f.group(1)), []).append(int(f.group(2)))
        continue
    m = re.match(r'\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+syscalls:(\S+):\s*(.*)', line)
    if m:
        comm, pid, tid, t, event, value = m.groups()
        events.append((float(t) - mono + wall, comm.strip(), int(pid), int(tid), event, value.strip()))
events.sort()
server = int(open(os.path.join(d, 'server.pid')).read())
instances = [line.split() for line in open(os.path.join(d, 'instances.txt')) if line.strip()]
latency = [float(x) for x in open(os.path.join(d, 'lat.ms'))]


def of(pid, event, after=0.0, comm=None):
    return [e for e in events if e[2] == pid and e[4] == event and e[0] >= after and (comm is None or e[1] == comm)]


# the server's spawns: clone3 returning a child's pid in the JVM (perf sees the whole machine)
spawned = {}
for e in events:
    if e[4] == 'sys_exit_clone3' and e[2] == server and e[5] not in ('0', '0x0'):
        child = int(e[5], 16)
        enter = [x for x in events if x[3] == e[3] and x[4] == 'sys_enter_clone3' and x[0] <= e[0]]
        spawned[child] = enter[-1][0] if enter else None
# the supervisors' launcher (srg-supervisor --launcher, since the seventh round): its forks are the
# supervisors, which run without an exec; absent (or not forking) when the server uses ProcessBuilder
launcher_file = os.path.join(d, 'launcher.pid')
launcher = int(open(launcher_file).read().split()[0]) if os.path.exists(launcher_file) and open(launcher_file).read().strip() else None
rows = []
for e in events:
    if launcher is not None and e[2] == launcher and e[4] == 'sys_exit_clone' and e[5] not in ('0', '0x0') and e[0] >= wall:
        # a supervisor forked by the launcher: the request's answer is that fork
        pid, t = int(e[5], 16), e[0]
        spawned[pid] = t
    # a successful exec of the supervisor in a process the server spawned
    elif e[4] != 'sys_exit_execve' or not e[1].startswith('srg-supervisor') or e[5] != '0x0' or e[2] not in spawned or e[0] < wall:
        continue
    else:
        pid, t = e[2], e[0]
    forks = [x for x in of(pid, 'sys_exit_clone', t) if x[5] not in ('0', '0x0')]
    # the task's fork: the first whose child (or, pid17's init, its child) execs bash; since the
    # fifteenth round (lat18) the supervisor's first fork is its task's pid namespace's init, made ahead
    execs_bash = lambda f: any(of(p, 'sys_exit_execve', comm='bash') for p in [int(f[5], 16)] + children.get(int(f[5], 16), []))
    forks = [f for f in forks if execs_bash(f)][:1] or forks[:1]
    if not forks:
        continue
    task = int(forks[0][5], 16)
    first = lambda xs: xs[0][0] if xs else None
    jsh = first(of(pid, 'sys_exit_execve', comm='jspawnhelper'))
    # a new namespace (unshare), or one made ahead by the launcher's pool (setns into it to load its rules)
    # (not the pid namespace's: lat18's unshare(CLONE_NEWPID) and setns into it and back, flags 0x20000000)
    not_pid = lambda xs: [x for x in xs if not x[5].endswith('0x20000000')]
    net = min([x for x in (first(not_pid(of(pid, 'sys_enter_unshare', t))), first(not_pid(of(pid, 'sys_enter_setns', t))))
               if x is not None], default=None)
    # in the task's namespace: libnftables' netfilter socket (protocol 0xc), then the rtnetlink one (0)
    sockets = [e for e in of(pid, 'sys_enter_socket', net or t) if e[0] <= forks[0][0]]
    nft = [e[0] for e in sockets if 'protocol: 0x0000000c' in e[5]]
    route = [e[0] for e in sockets if 'protocol: 0x00000000' in e[5] and (not nft or e[0] > nft[0])]
    # the run-once link (link(2) of "started"), and a claim's bind of the namespace's name (mount,
    # before its setns; with a namespace made here the mount comes after the unshare: not a claim)
    once = min([x for x in (first(of(pid, 'sys_enter_link', t)), first(of(pid, 'sys_enter_linkat', t))) if x is not None],
               default=None)
    bound = first(of(pid, 'sys_enter_mount', t))
    # a supervisor held ahead (srg.execution.holdAhead): its first recvmsg, before the run-once link, is its release
    release = first([x for x in of(pid, 'sys_exit_recvmsg', t) if once is None or x[0] <= once])
    # the task's bash: its own exec, or (fourteenth round, pid17: a pid namespace of its own) its
    # child's, the task's process being the namespace's init
    bash_execs = [x for p in [task] + children.get(task, []) for x in of(p, 'sys_exit_execve', comm='bash')]
    bash = min(x[0] for x in bash_execs) if bash_execs else None
    rows.append(dict(clone=spawned[pid], jsh=jsh, sup_exec=first(of(pid, 'sys_enter_execve', jsh or 0.0)), sup=t,
                     once=once, bound=bound if bound is not None and net is not None and bound <= net else None,
                     net=net, nft=nft[0] if nft else None, route=route[0] if route else None, fork=forks[0][0],
                     release=release, joined=first(of(task, 'sys_enter_setns')), bash=bash,
                     # the task's own mounts (thirteenth round, iso16): its mount namespace made private, the
                     # network's hosts and resolver, and (a task of its own uid) the private /tmp's tmpfs, its
                     # binds and /proc with hidepid; the first and the last before its exec
                     mount_first=first(of(task, 'sys_enter_mount')),
                     mount_last=([x[0] for x in of(task, 'sys_enter_mount') if x[0] <= (bash or 1e18)] or [None])[-1]))
n = min(len(rows), len(instances))
for row, inst in zip(rows, instances):
    row['queued'], row['started'] = float(inst[1]), float(inst[2])
    # the commit: PostgreSQL's last WAL flush between the start and the spawn; the launch's first
    # file: the server's first mkdir after it (the instance directory, on the admitter)
    # (twelfth round, hold15: with srg.execution.holdAhead the launcher forks the supervisor while
    # the COMMIT goes, before the flush; the commit releases it, and the first step it takes then
    # that is traced is its run-once link: the flush is looked for up to that link instead, and the
    # rows up to the fork have no meaning for such a task)
    end = row['clone'] or 0
    row['held'] = row.get('release') is not None
    if row['held']:
        end = row['once']
    flushes = [e for e in events if e[1].startswith('postgres') and e[4] == 'sys_enter_fdatasync'
               and row['started'] <= e[0] <= end]
    if row['held'] and flushes:
        row['flush'] = flushes[-1][0]
        done = [e for e in events if e[3] == flushes[-1][3] and e[4] == 'sys_exit_fdatasync' and e[0] >= row['flush']]
        row['flushed'] = done[0][0] if done else None
    elif flushes and row['clone']:
        row['flush'] = flushes[-1][0]
        done = [e for e in events if e[3] == flushes[-1][3] and e[4] == 'sys_exit_fdatasync' and e[0] >= row['flush']]
        row['flushed'] = done[0][0] if done else None
        # from started_at on: since the eleventh round (lat13) the files are written while the
        # UPDATE and the COMMIT go (srg.execution.prepareAhead), before the flush or beside it
        mkdirs = [e for e in events if e[2] == server and e[4] in ('sys_enter_mkdir', 'sys_enter_mkdirat')
                  and row['started'] <= e[0] <= row['clone']]
        row['files'] = mkdirs[0][0] if mkdirs else None
        # the instance's cgroups are the last four directories the server makes (v1: memory, cpu,
        # cpuacct, pids; one mkdir each, their parents exist)
        row['cgroups'] = mkdirs[-4][0] if len(mkdirs) >= 5 else None
        row['files_done'] = mkdirs[-1][0] if mkdirs else None
        # the launch after the commit: the later of the flush's end and the files' end
        row['ready'] = max(row['flushed'], row['files_done']) if row['flushed'] and mkdirs else None
steps = [('server: queued_at (the INSERT, in the transaction; with its audit row since lat7) → started_at (ledger, the launch built; still in it)', 'queued', 'started'),
         ('server: started_at → the commit\'s WAL flush begins (the UPDATE, COMMIT sent)', 'started', 'flush'),
         ('PostgreSQL: the commit\'s WAL flush (fdatasync)', 'flush', 'flushed'),
         ('server: flushed → the launch\'s first mkdir (commit answered, hand-off to the admitter; negative: the files were begun before the flush, written ahead)', 'flushed', 'files'),
         ('server: the instance files (first mkdir) → the first of its 4 cgroup mkdirs', 'files', 'cgroups'),
         ('server: 4 cgroup mkdirs, the ProcessBuilder → JVM clone3 (with the launcher: the request → its fork of the supervisor)', 'cgroups', 'clone'),
         ('server: the later of the flush\'s end and the last cgroup mkdir → the launcher\'s fork (with the files ahead: the hand-off and the launch request)', 'ready', 'clone'),
         ('server: flushed → the launcher\'s fork (the commit\'s answer, hand-off, what is left of the files, the launch request)', 'flushed', 'clone'),
         ('server: STARTING + launch record committed, instance files → JVM clone3 / the launcher\'s fork (the four rows above)', 'started', 'clone'),
         ('server and supervisor: flushed → the supervisor\'s run-once link (the launch request, the fork, the supervisor\'s start; held: the release, the spec read)', 'flushed', 'once'),
         ('  held: flushed → the release read (the commit\'s answer, the hand-off, "g" through the launcher)', 'flushed', 'release'),
         ('  held: the release read → the run-once link (the spec read)', 'release', 'once'),
         ('  held: the launcher\'s fork → flushed (how far ahead of the commit the supervisor was forked)', 'clone', 'flushed'),
         ('JVM clone3 → jspawnhelper exec done', 'clone', 'jsh'),
         ('jspawnhelper → supervisor exec done', 'jsh', 'sup'),
         ('  of which jspawnhelper itself (its exec done → its execve of the supervisor)', 'jsh', 'sup_exec'),
         ('  of which the supervisor\'s execve', 'sup_exec', 'sup'),
         ('supervisor: run-once link, cgroups (mkdir, limits) → unshare(NEWNET), or setns into a namespace made ahead (from its exec, or the launcher\'s fork)', 'sup', 'net'),
         ('  of which: from its exec or the launcher\'s fork (descriptors, stdio, session, the spec read) → the run-once link', 'sup', 'once'),
         ('  of which: the run-once link, cgroup limits (memory, cpu, pids) → the namespace made ahead named (its mount; none: unshare)', 'once', 'bound'),
         ('  of which: the name bound, net/link written → setns into it', 'bound', 'net'),
         ('supervisor: namespace, veth, addresses, routes, rules, nftables → fork of the task', 'net', 'fork'),
         ('  of which: new namespace, sysctls (or the pooled one entered), libnftables loaded, the rules parsed → its netfilter socket', 'net', 'nft'),
         ('  of which: the nftables transaction → the rtnetlink socket', 'nft', 'route'),
         ('  of which: veth pair, addresses, routes, host side (none of these with a pooled namespace), policy rules → fork of the task', 'route', 'fork'),
         ('task: joins its 4 cgroups (v1) → setns', 'fork', 'joined'),
         ('task: setns, mount namespace, uid → bash exec done', 'joined', 'bash'),
         ('  of which: setns → its first mount (the mount namespace made)', 'joined', 'mount_first'),
         ('  of which: its mounts, first to last (private propagation, hosts, resolver; since iso16 the private /tmp tmpfs, its binds, /proc)', 'mount_first', 'mount_last'),
         ('  of which: its last mount → bash exec done (uid, exec; pid17 to lat18: the fork of the task by its pid namespace\'s init)', 'mount_last', 'bash'),
         ('server total: queued_at → bash exec', 'queued', 'bash')]
held = sum(1 for r in rows[:n] if r.get('held'))
print(f"{n} tasks" + (f" ({held} with a supervisor held ahead: the rows up to its fork and from it to the link are not theirs)" if held else ""))
print("| step | p50 ms | mean ms |\n| --- | ---: | ---: |")
for name, a, b in steps:
    # a held supervisor's fork came before the commit: the steps that end or begin at it are not its launch's
    v = [(r[b] - r[a]) * 1000 for r in rows[:n] if r.get(a) is not None and r.get(b) is not None
         and (r.get('held') or (a, b) != ('clone', 'flushed'))
         and not (r.get('held') and (a, b) != ('clone', 'flushed') and ('clone' in (a, b) or 'ready' in (a, b) or (a, b) in (('sup', 'once'), ('sup', 'net'))))]
    if v:
        print(f"| {name} | {statistics.median(v):.1f} | {statistics.mean(v):.1f} |")
print(f"| client: submit → first instruction (the load's samples) | {statistics.median(latency):.1f} | {statistics.mean(latency):.1f} |")
# per task (submit order on both sides): the client's latency less the server's queued_at → bash exec
# leaves what comes before queued_at (the client, HTTP, the token, the submit's reads) plus bash's
# own start to its first instruction (the floor has that too)
before = [lat - (r['bash'] - r['queued']) * 1000 for lat, r in zip(latency, rows[:n]) if r.get('bash') is not None]
if before:
    print(f"| client: submit → queued_at, plus bash exec → its echo (the client's sample less the server total) | {statistics.median(before):.1f} | {statistics.mean(before):.1f} |")
# the submit's first statement (the token) reaching PostgreSQL: the first statement after a quiet
# 20 ms before queued_at (the load sleeps 200 ms between a task's end and the next submit)
received = [e for e in events if e[1].startswith('postgres') and e[4] == 'sys_exit_recvfrom' and 0 < int(e[5], 16) < 1 << 63]
split = []
for lat, r in zip(latency, rows[:n]):
    if r.get('bash') is None:
        continue
    # walking back from queued_at: the first statement after a quiet 20 ms (the mean is less sure
    # than the median: a background job's statement now and then stands in for the token's)
    near = [e[0] for e in received if r['queued'] - 0.15 <= e[0] <= r['queued']]
    first_statement = [near[i] for i in range(len(near) - 1, -1, -1) if i == 0 or near[i] - near[i - 1] > 0.02][:1]
    if first_statement:
        # submit = bash exec + bash's start − latency (bash's own start to its echo is not traced)
        split.append(((r['bash'] * 1000 - lat) , first_statement[0] * 1000, r['queued'] * 1000))
if split:
    a = [t - s for s, t, q in split]
    b = [q - t for s, t, q in split]
    print(f"|   of which: client submit → the token's statement reaches PostgreSQL (the client, HTTP, Javalin), plus bash's start → echo | {statistics.median(a):.1f} | {statistics.mean(a):.1f} |")
    print(f"|   of which: the token's statement → queued_at (token, workspace, group, network generation: 4 statements) | {statistics.median(b):.1f} | {statistics.mean(b):.1f} |")
calls = [line for line in open(os.path.join(d, 'load.out')) if 'submit call latency' in line]
if calls:
    print(f"| client: the submit call (POST → its answer), min / p50 / p99 / max | {calls[0].split('min/p50/p99/max')[1].strip()} | |")
