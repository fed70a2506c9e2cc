/*
 * The task's network namespace (SPEC NET-7..9, docs/networks.md), made and removed by the
 * compiled supervisor itself: what netns.sh up/down do with ~12 process starts (ip, nsenter, bash,
 * nft), done here with system calls and rtnetlink, the rules loaded through libnftables when it is
 * installed (else one `nft -f`), the resolver (dnsmasq) still a program of its own.
 * netns.sh stays the implementation of supervisor.sh (the fallback) and the reference: both make
 * the same namespace, links, addresses, routes, policy rules and files.
 */
#ifndef SRG_NETNS_H
#define SRG_NETNS_H

/* netns.sh up <netdir> <ns> <index>: 0 when the namespace is ready; otherwise -1, what is made
 * removed again, and why written to the open descriptor log. */
int srg_net_up(const char *netdir, const char *ns, long index, int log);

/* netns.sh down <ns> [<netdir>]: the link's policy rules, the processes left in the namespace
 * (its resolver; any, when task_contained is 0: the task's processes were not held by cgroups)
 * and the namespace itself. */
void srg_net_down(const char *ns, const char *netdir, int task_contained, int log);

/* Loads libnftables ahead (the launcher): a supervisor forked from it then finds it loaded. */
void srg_net_preload(void);

/* In a child that serves the task (its resolver) or becomes it: the priority the launcher lowered
 * given back (srg-supervisor.c); 0, or -1 with errno when it could not be. */
int srg_task_priority(void);

#endif
