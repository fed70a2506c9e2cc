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

/*
 * A namespace made ahead (the launcher's pool, issue 17): a fresh network namespace with the
 * sysctls, loopback up, the veth pair (eth0 inside with the task's address and routes, the host end
 * srgt<hex> up with the gateway address and a route to the task), nothing that depends on a task's
 * group. It has no name: fd is its only reference, so when the process holding it dies (the
 * launcher, or a supervisor before its claim) the kernel removes it and its veth pair, and a crash
 * leaves nothing for a sweep. Claimed by one task at most; a task's namespace may come back to the
 * launcher in the same form (srg_net_recycle), for the next task of its group and workspace only.
 */
struct srg_pooled {
    int fd;
    char link[16];    /* IF_NAMESIZE */
    char address[16]; /* INET_ADDRSTRLEN */
};

/* Makes one (in a single-threaded process, which it leaves in the host's namespace); 0, or -1 with
 * why written to log and nothing left. */
int srg_net_make(long index, struct srg_pooled *made, int log);

/* netns.sh up <netdir> <ns> <index>: 0 when the namespace is ready; otherwise -1, what is made
 * removed again, and why written to the open descriptor log. With pooled (fd >= 0), that namespace
 * is claimed instead of a new one made: bound to the task's name, its rules loaded, its resolver
 * started, its link's policy rules added; pooled->fd is closed either way. */
int srg_net_up(const char *netdir, const char *ns, long index, struct srg_pooled *pooled, int log);

/* netns.sh down <ns> [<netdir>]: the link's policy rules, the processes left in the namespace
 * (its resolver; any, when task_contained is 0: the task's processes were not held by cgroups)
 * and the namespace itself. */
void srg_net_down(const char *ns, const char *netdir, int task_contained, int log);

/*
 * Reuse (issue 17, tenth round; docs/networks.md "Reused by the next task of the same group"), in two
 * steps around the exit file, once the task's last process is gone (its cgroups held it, it ran as
 * its own uid, it had no resolver):
 * srg_net_unname, before the exit file, in place of srg_net_down: removes the link's policy rules
 * and the namespace's name; 0 with made filled (fd, its only reference from then on, link,
 * address); -1 (nothing done) when it cannot be reused, and the caller calls srg_net_down.
 * srg_net_recycle, after the exit file: inside it, checks that no socket is left (not even one a
 * task gave away) and empties its connection tracking, its TCP metrics, its routing cache and its
 * nftables ruleset; 0 when it may go to the next task of the same group and workspace, -1 when
 * not (the caller closes made->fd, and the kernel removes it).
 */
int srg_net_unname(const char *ns, const char *netdir, struct srg_pooled *made, int log);
int srg_net_recycle(struct srg_pooled *made, int log);

/* Loads libnftables ahead (the launcher): a supervisor forked from it then finds it loaded. */
void srg_net_preload(void);

/* In a child that serves the task (its resolver) or becomes it: the priority the launcher lowered
 * given back (srg-supervisor.c); 0, or -1 with errno when it could not be. */
int srg_task_priority(void);

#endif
