#!/usr/bin/env python3
# Classifies perf script samples (comm regex, file, sampling Hz, tasks) by the first known frame of their stack; ms per task. See harness.c.
import sys, re, collections
# classify samples of supervisor / kernel threads by the frames of their stack
rules = [
 ('exec (task becoming bash)', ['begin_new_exec','bprm_execve','do_execveat_common']),
 ('exit / mm teardown', ['do_exit','exit_mmap','mmput']),
 ('fork/clone', ['copy_process','kernel_clone','__do_sys_clone']),
 ('veth pair (rtnl newlink)', ['veth_newlink','rtnl_newlink']),
 ('nftables (nfnetlink)', ['nfnetlink_rcv','nf_tables_newrule','nft_run_cmd_from_filename','nft_ctx_new','nft_ctx_free']),
 ('rtnetlink addr/route/rule', ['inet_rtm_newaddr','inet_rtm_newroute','fib_nl_newrule','fib_nl_delrule','rtnl_setlink','do_setlink']),
 ('unshare netns (copy_net_ns)', ['copy_net_ns','setup_net']),
 ('setns', ['__do_sys_setns','__x64_sys_setns']),
 ('sysctls (proc_sys)', ['proc_sys_call_handler']),
 ('mount/umount (netns name, task mount ns)', ['__x64_sys_mount','__x64_sys_umount','path_umount','copy_mnt_ns','__x64_sys_unshare','ksys_unshare']),
 ('cgroup writes', ['cgroup_file_write','__cgroup1_procs_write','cgroup1_tasks_write','cgroup_attach_task']),
 ('file I/O (open/read/write/unlink)', ['do_sys_openat2','ksys_read','ksys_write','do_unlinkat','vfs_read','vfs_write']),
 ('poll/wait', ['do_sys_poll','do_wait','kernel_waitid']),
 ('page faults', ['exc_page_fault']),
 ('netlink other', ['netlink_sendmsg','netlink_recvmsg']),
 ('cleanup_net', ['cleanup_net']),
 ('masquerade conntrack walk', ['iterate_cleanup_work','nf_ct_iterate_cleanup']),
 ('rcu', ['rcu_core','rcu_exp','synchronize_rcu','wait_rcu_gp','rcu_gp_kthread']),
]
comm_re = re.compile(sys.argv[1])
counts = collections.Counter(); total = 0; cur = None; stack = []
def flush():
    global total
    if cur is None: return
    total += 1
    for name, frames in rules:
        if any(f in s for s in stack for f in frames):
            counts[name] += 1; return
    counts['other: ' + (stack[0] if stack else '?')] += 1
for line in open(sys.argv[2], errors='replace'):
    if line and not line[0].isspace():
        flush(); stack = []
        comm = line.split('  ')[0].strip()
        cur = comm if comm_re.search(comm) else None
    elif cur is not None and line.strip():
        parts = line.split(None, 1)
        stack.append(parts[1].strip() if len(parts) > 1 else parts[0])
flush()
hz = float(sys.argv[3]); tasks = float(sys.argv[4])
print(f'{total} samples = {total/hz*1000/tasks:.2f} ms per task')
for k, v in counts.most_common(25): print(f'{v:6d} {v/hz*1000/tasks:6.2f} ms/task  {k}')
