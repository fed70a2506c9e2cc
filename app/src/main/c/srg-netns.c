/*
 * The task's network namespace, made and removed by the compiled supervisor (srg-netns.h): the
 * same namespace, links, addresses, routes, policy rules, sysctls, nftables table and resolver as
 * netns.sh, with system calls and rtnetlink messages instead of ~12 process starts per task.
 */
#define _GNU_SOURCE
#include "srg-netns.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/tcp_metrics.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"
/* TaskNetwork.RULE_PRIORITY and TASK_RANGE's gateway (HOST_SIDE) */
#define RULE_PRIORITY 9000
#define HOST_SIDE "100.64.0.1"

static void say(int log, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (log >= 0) vdprintf(log, fmt, ap);
    va_end(ap);
}

/* --- rtnetlink: one request at a time, answered by an ack or an error --- */

struct request {
    union {
        struct nlmsghdr h;
        char bytes[1024];
    };
};

static void *request(struct request *r, int type, int flags, size_t header) {
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = NLMSG_LENGTH(header);
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return NLMSG_DATA(&r->h);
}

static struct rtattr *attr(struct request *r, int type, const void *data, size_t len) {
    if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof *r) abort(); /* fixed messages: a bug */
    struct rtattr *a = (struct rtattr *)(r->bytes + NLMSG_ALIGN(r->h.nlmsg_len));
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(len);
    if (len) memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

/* closes a nested attribute opened by attr(..., NULL, 0): it holds everything added since */
static void nest_end(struct request *r, struct rtattr *a) {
    a->rta_len = (unsigned short)(r->bytes + r->h.nlmsg_len - (char *)a);
}

/* 0, or the negative errno of the kernel's answer */
static int talk(int nl, struct request *r) {
    static unsigned seq;
    r->h.nlmsg_seq = ++seq;
    if (send(nl, r->bytes, r->h.nlmsg_len, 0) < 0) return -errno;
    char answer[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(nl, answer, sizeof answer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        int len = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq == r->h.nlmsg_seq && h->nlmsg_type == NLMSG_ERROR)
                return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        }
    }
}

/* a route socket of the calling process's current network namespace (it stays bound to it) */
static int route_socket(void) {
    return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static int link_up(int nl, int ifindex) { /* ip link set <dev> up */
    struct request r;
    struct ifinfomsg *m = request(&r, RTM_NEWLINK, 0, sizeof *m);
    m->ifi_family = AF_UNSPEC;
    m->ifi_index = ifindex;
    m->ifi_flags = IFF_UP;
    m->ifi_change = IFF_UP;
    return talk(nl, &r);
}

static int address_add(int nl, int ifindex, in_addr_t address) { /* ip addr add <a>/32 dev <dev> */
    struct request r;
    struct ifaddrmsg *m = request(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
    m->ifa_family = AF_INET;
    m->ifa_prefixlen = 32;
    m->ifa_index = ifindex;
    attr(&r, IFA_LOCAL, &address, 4);
    attr(&r, IFA_ADDRESS, &address, 4);
    return talk(nl, &r);
}

/* ip route add <dst>/<len> [via <gateway>] dev <dev>: without a gateway the route is on the link */
static int route_add(int nl, int ifindex, in_addr_t destination, int length, in_addr_t gateway) {
    struct request r;
    struct rtmsg *m = request(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
    m->rtm_family = AF_INET;
    m->rtm_dst_len = length;
    m->rtm_table = RT_TABLE_MAIN;
    m->rtm_protocol = RTPROT_BOOT;
    m->rtm_scope = gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    m->rtm_type = RTN_UNICAST;
    if (length) attr(&r, RTA_DST, &destination, 4);
    if (gateway) attr(&r, RTA_GATEWAY, &gateway, 4);
    attr(&r, RTA_OIF, &ifindex, 4);
    return talk(nl, &r);
}

/* ip -4 rule add|del priority 9000 iif <link> [lookup <table>] (table 0: any, for a delete) */
static int rule(int nl, int type, const char *link, unsigned table) {
    struct request r;
    struct fib_rule_hdr *m = request(&r, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof *m);
    m->family = AF_INET;
    unsigned priority = RULE_PRIORITY;
    attr(&r, FRA_PRIORITY, &priority, 4);
    attr(&r, FRA_IIFNAME, link, strlen(link) + 1);
    if (table) {
        m->action = FR_ACT_TO_TBL;
        m->table = table < 256 ? table : RT_TABLE_UNSPEC;
        attr(&r, FRA_TABLE, &table, 4);
    }
    return talk(nl, &r);
}

/* ip link add eth0 type veth peer name <host_name> netns <host>: from inside the task's namespace */
static int veth(int nl, const char *host_name, int host_ns) {
    struct request r;
    struct ifinfomsg *m = request(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);
    m->ifi_family = AF_UNSPEC;
    attr(&r, IFLA_IFNAME, "eth0", 5);
    struct rtattr *info = attr(&r, IFLA_LINKINFO, NULL, 0);
    attr(&r, IFLA_INFO_KIND, "veth", 4);
    struct rtattr *data = attr(&r, IFLA_INFO_DATA, NULL, 0);
    struct ifinfomsg peer_header = {0};
    struct rtattr *peer = attr(&r, VETH_INFO_PEER, &peer_header, sizeof peer_header);
    attr(&r, IFLA_IFNAME, host_name, strlen(host_name) + 1);
    attr(&r, IFLA_NET_NS_FD, &host_ns, 4);
    nest_end(&r, peer);
    nest_end(&r, data);
    nest_end(&r, info);
    return talk(nl, &r);
}

/* --- programs --- */

/* Runs argv in the current namespaces with its stderr to log; its exit status, -1 if it did not run.
 * for_task: a program that serves the task (its resolver) runs at the task's priority, not the launch's. */
static int run(char *const argv[], int log, int for_task) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (for_task && srg_task_priority() != 0) _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int null = open("/dev/null", O_RDWR);
        if (log >= 0) dup2(log, 2);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *const NFTABLES_LIBRARY = "libnftables.so.1";

void srg_net_preload(void) {
    /* kept open for the launcher's life; its children's dlopen then only counts a reference */
    (void)dlopen(NFTABLES_LIBRARY, RTLD_NOW | RTLD_LOCAL);
}

/*
 * nft -f <file> in the current namespace, through libnftables (the library nft itself is) when it
 * loads, which saves the process; found at run time, so a host without it still works.
 */
static int load_rules(const char *file, int log) {
    void *library = dlopen(NFTABLES_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (library) {
        void *(*ctx_new)(unsigned) = (void *(*)(unsigned))dlsym(library, "nft_ctx_new");
        int (*buffer_error)(void *) = (int (*)(void *))dlsym(library, "nft_ctx_buffer_error");
        const char *(*error)(void *) = (const char *(*)(void *))dlsym(library, "nft_ctx_get_error_buffer");
        int (*from_file)(void *, const char *) = (int (*)(void *, const char *))dlsym(library, "nft_run_cmd_from_filename");
        void (*ctx_free)(void *) = (void (*)(void *))dlsym(library, "nft_ctx_free");
        void *ctx = ctx_new && buffer_error && error && from_file && ctx_free ? ctx_new(0) : NULL;
        if (ctx) {
            buffer_error(ctx);
            int rc = from_file(ctx, file);
            if (rc != 0) say(log, "nft -f %s: %s\n", file, error(ctx));
            ctx_free(ctx);
            return rc == 0 ? 0 : -1;
        }
    }
    char *nft[] = {"nft", "-f", (char *)file, NULL};
    return run(nft, log, 0) == 0 ? 0 : -1;
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* ip netns add's mount set-up: /run/netns a shared mount, so the name reaches every mount namespace */
static int netns_directory(int log) {
    if (mkdir(NETNS_DIR, 0755) != 0 && errno != EEXIST) {
        say(log, "cannot create %s: %s\n", NETNS_DIR, strerror(errno));
        return -1;
    }
    int made = 0;
    while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) != 0) {
        if (errno != EINVAL || made || mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) != 0) {
            say(log, "cannot make %s a shared mount: %s\n", NETNS_DIR, strerror(errno));
            return -1;
        }
        made = 1;
    }
    return 0;
}

/* Kills the processes whose network namespace is (dev, ino); whether it found any. */
static int kill_in(dev_t dev, ino_t ino) {
    int found = 0;
    DIR *proc = opendir("/proc");
    struct dirent *e;
    char path[64];
    pid_t self = getpid();
    while (proc && (e = readdir(proc))) {
        pid_t pid = atoi(e->d_name);
        if (pid <= 0 || pid == self) continue;
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino && kill(pid, SIGKILL) == 0) found = 1;
    }
    if (proc) closedir(proc);
    return found;
}

void srg_net_down(const char *ns, const char *netdir, int task_contained, int log) {
    if (netdir) {
        char *file;
        if (asprintf(&file, "%s/link", netdir) < 0) return;
        FILE *in = fopen(file, "re");
        free(file);
        char link[IF_NAMESIZE + 1] = "";
        if (in) {
            if (fscanf(in, "%15s", link) != 1) link[0] = 0;
            fclose(in);
        }
        int nl = *link ? route_socket() : -1;
        if (nl >= 0) {
            while (rule(nl, RTM_DELRULE, link, 0) == 0) {}
            close(nl);
        }
    }
    char *path;
    if (asprintf(&path, "%s/%s", NETNS_DIR, ns) < 0) return;
    struct stat st;
    if (stat(path, &st) != 0) { free(path); return; }
    /* A process left in it (the resolver) would keep it alive unnamed. Only the resolver and the
     * task's own processes ever enter it; the latter are gone when the caller's task was contained
     * (cgroups), so without a resolver the scan of /proc is saved. */
    char *resolver = NULL;
    if (netdir && asprintf(&resolver, "%s/dnsmasq.conf", netdir) < 0) resolver = NULL;
    int scan = !task_contained || !resolver || access(resolver, F_OK) == 0;
    free(resolver);
    for (int round = 0; scan && round < 100 && kill_in(st.st_dev, st.st_ino); round++) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL) say(log, "umount %s: %s\n", path, strerror(errno));
    if (unlink(path) != 0) say(log, "unlink %s: %s\n", path, strerror(errno));
    free(path);
}

/* Inside a new namespace: refusals are ICMP admin-prohibited, answered at once (the namespace's own
 * ICMP rate limit would otherwise make every second refusal wait for a SYN retry); no IPv6 in a
 * task's network. */
static void task_sysctls(void) {
    write_text("/proc/sys/net/ipv4/icmp_ratelimit", "0");
    if (access("/proc/sys/net/ipv6/conf/all/disable_ipv6", F_OK) == 0) {
        write_text("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
        /* eth0, made below, too: no link-local address, no IPv6 work in the kernel for it */
        write_text("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    }
}

/* Inside the task's namespace: the veth pair (its host end moved to host_ns, named srgt<hex> after
 * the first free index from index on: the name is the lock), loopback and eth0 up, the task's
 * address and its routes. link and address (IF_NAMESIZE, INET_ADDRSTRLEN) are filled once the
 * pair exists, even when a later step fails. */
static int task_link(long index, int host_ns, char *link, char *address, in_addr_t *task_address, int log) {
    in_addr_t gateway = inet_addr(HOST_SIDE);
    int nl = route_socket(), rc = 0;
    if (nl < 0) { say(log, "netlink: %s\n", strerror(errno)); return -1; }
    long i = 0;
    for (int attempt = 0; attempt < 64; attempt++) {
        i = (index + attempt) % 4194300 + 2;
        snprintf(link, IF_NAMESIZE, "srgt%lx", i);
        rc = veth(nl, link, host_ns);
        if (rc != -EEXIST) break;
    }
    if (rc != 0) { say(log, "no free task link (%s)\n", strerror(-rc)); link[0] = 0; close(nl); return -1; }
    snprintf(address, INET_ADDRSTRLEN, "100.%ld.%ld.%ld", 64 + (i >> 16), (i >> 8) & 255, i & 255);
    *task_address = inet_addr(address);
    int lo = if_nametoindex("lo"), eth0 = if_nametoindex("eth0");
    if ((rc = link_up(nl, lo)) || (rc = address_add(nl, eth0, *task_address)) || (rc = link_up(nl, eth0))
        || (rc = route_add(nl, eth0, gateway, 32, 0)) || (rc = route_add(nl, eth0, 0, 0, gateway))) {
        say(log, "the task side of %s: %s\n", link, strerror(-rc));
        close(nl);
        return -1;
    }
    close(nl);
    return 0;
}

/* In the host's namespace: the link up with the gateway address (the same on every task link), a
 * route to the task; a policy rule left by a dead task of the same link name removed (it would
 * apply to this one). */
static int host_link(const char *link, in_addr_t task_address, int log) {
    in_addr_t gateway = inet_addr(HOST_SIDE);
    int nl = route_socket(), rc = 0;
    int host = *link ? (int)if_nametoindex(link) : 0;
    if (nl < 0 || host == 0) {
        say(log, "the host side of %s: %s\n", link, strerror(errno));
        if (nl >= 0) close(nl);
        return -1;
    }
    if ((rc = link_up(nl, host)) || (rc = address_add(nl, host, gateway)) || (rc = route_add(nl, host, task_address, 32, 0))) {
        say(log, "the host side of %s: %s\n", link, strerror(-rc));
        close(nl);
        return -1;
    }
    while (rule(nl, RTM_DELRULE, link, 0) == 0) {}
    close(nl);
    return 0;
}

/* In the host's namespace: the policy rules of the task's link, a VPC's own routing table first
 * (overlapping CIDRs of different VPCs reach different hosts), then the main table. */
static int host_rules(const char *netdir, const char *link, int log) {
    int nl = route_socket(), ok = nl >= 0, rc;
    if (!ok) say(log, "netlink: %s\n", strerror(errno));
    char *file;
    FILE *tables = ok && asprintf(&file, "%s/tables", netdir) >= 0 ? fopen(file, "re") : NULL;
    unsigned table;
    while (ok && tables && fscanf(tables, "%u", &table) == 1) {
        if ((rc = rule(nl, RTM_NEWRULE, link, table)) != 0) {
            say(log, "ip rule add priority %d iif %s lookup %u: %s\n", RULE_PRIORITY, link, table, strerror(-rc));
            ok = 0;
        }
    }
    if (tables) fclose(tables);
    if (nl >= 0) close(nl);
    return ok ? 0 : -1;
}

/* Inside the task's namespace: its resolver on its own loopback when it has something to answer (it
 * daemonizes once listening, or fails here). */
static int task_resolver(const char *netdir, int log) {
    char *file;
    if (asprintf(&file, "%s/dnsmasq.conf", netdir) < 0) return -1;
    if (access(file, F_OK) == 0) {
        char *option;
        if (asprintf(&option, "--conf-file=%s", file) < 0) return -1;
        char *dnsmasq[] = {"dnsmasq", option, NULL};
        if (run(dnsmasq, log, 1) != 0) { say(log, "the task's resolver (dnsmasq) did not start\n"); return -1; }
    }
    free(file);
    return 0;
}

/* Inside the task's namespace, what depends on the task's group: its nftables table, its resolver. */
static int task_rules(const char *netdir, int log) {
    char *file;
    if (asprintf(&file, "%s/rules.nft", netdir) < 0 || load_rules(file, log) != 0) return -1;
    free(file);
    return task_resolver(netdir, log);
}

static int write_link_file(const char *netdir, const char *link, const char *address, int log) {
    char *link_file, *line;
    if (asprintf(&link_file, "%s/link", netdir) < 0 || asprintf(&line, "%s %s\n", link, address) < 0
        || write_text(link_file, line) != 0) {
        say(log, "cannot write %s/link\n", netdir);
        return -1;
    }
    return 0;
}

int srg_net_make(long index, struct srg_pooled *made, int log) {
    made->fd = -1;
    made->link[0] = made->address[0] = 0;
    int host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns < 0) {
        say(log, "cannot open the host's network namespace: %s\n", strerror(errno));
        return -1;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        say(log, "cannot create a network namespace: %s\n", strerror(errno));
        close(host_ns);
        return -1;
    }
    /* --- inside the new namespace: held by this thread, then only by the descriptor --- */
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    in_addr_t task_address = 0;
    int ok = fd >= 0;
    if (!ok) say(log, "cannot open the new network namespace: %s\n", strerror(errno));
    if (ok) {
        task_sysctls();
        ok = task_link(index, host_ns, made->link, made->address, &task_address, log) == 0;
    }
    if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70); /* never run on in the task's namespace */
    close(host_ns);
    if (ok) ok = host_link(made->link, task_address, log) == 0;
    if (!ok) {
        if (fd >= 0) close(fd); /* the last reference: the namespace goes, and its veth pair with it */
        return -1;
    }
    made->fd = fd;
    return 0;
}

/* The claim of a namespace made ahead: named as the task's, then configured for its group. */
static int claim(const char *netdir, const char *ns, const char *path, struct srg_pooled *pooled, int host_ns, int log) {
    int fd = pooled->fd;
    pooled->fd = -1;
    char source[64];
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    int named = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (named < 0) {
        say(log, "cannot create %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(named);
    if (mount(source, path, "none", MS_BIND, NULL) != 0) {
        say(log, "cannot name the network namespace %s: %s\n", ns, strerror(errno));
        unlink(path);
        close(fd);
        return -1;
    }
    /* from here on the name holds it (and srg_net_down removes it), as a namespace made here would be */
    int ok = write_link_file(netdir, pooled->link, pooled->address, log) == 0;
    if (ok && setns(fd, CLONE_NEWNET) != 0) {
        say(log, "cannot enter the network namespace %s: %s\n", ns, strerror(errno));
        ok = 0;
    }
    close(fd);
    if (ok) {
        ok = task_rules(netdir, log) == 0;
        if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70);
    }
    if (ok) ok = host_rules(netdir, pooled->link, log) == 0;
    return ok ? 0 : -1;
}

int srg_net_up(const char *netdir, const char *ns, long index, struct srg_pooled *pooled, int log) {
    int host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns < 0 || netns_directory(log) != 0) {
        say(log, "cannot open the host's network namespace: %s\n", strerror(errno));
        if (host_ns >= 0) close(host_ns);
        return -1;
    }
    char *path;
    if (asprintf(&path, "%s/%s", NETNS_DIR, ns) < 0) return -1;
    if (pooled && pooled->fd >= 0) {
        int rc = claim(netdir, ns, path, pooled, host_ns, log);
        close(host_ns);
        if (rc != 0) srg_net_down(ns, netdir, 1, log); /* the task has not run */
        free(path);
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        say(log, "cannot create %s: %s\n", path, strerror(errno));
        close(host_ns);
        return -1;
    }
    close(fd);
    /* ip netns add: a new namespace for this process, bound to its name; the process goes back below */
    if (unshare(CLONE_NEWNET) != 0 || mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) {
        say(log, "cannot create the network namespace %s: %s\n", ns, strerror(errno));
        if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70);
        unlink(path);
        close(host_ns);
        return -1;
    }
    int ok = 0;
    char link[IF_NAMESIZE] = "", address[INET_ADDRSTRLEN] = "";
    in_addr_t task_address = 0;
    /* --- inside the task's namespace: the same steps in the same order as before the pool --- */
    task_sysctls();
    char *file;
    if (asprintf(&file, "%s/rules.nft", netdir) < 0 || load_rules(file, log) != 0) goto back;
    free(file);
    if (task_link(index, host_ns, link, address, &task_address, log) != 0) {
        if (*link) write_link_file(netdir, link, address, log);
        goto back;
    }
    if (write_link_file(netdir, link, address, log) != 0) goto back;
    if (task_resolver(netdir, log) != 0) goto back;
    ok = 1;
back:
    if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70); /* never run on in the task's namespace */
    close(host_ns);
    /* --- the host's side: the gateway address, a route to the task, the VPCs' policy rules --- */
    if (ok) ok = host_link(link, task_address, log) == 0 && host_rules(netdir, link, log) == 0;
    if (!ok) srg_net_down(ns, netdir, 1, log); /* the task has not run */
    free(path);
    return ok ? 0 : -1;
}

/* --- reuse (issue 17, tenth round; docs/networks.md "Reused by the next task of the same group") --- */

/* Inside the namespace: whether nothing that can carry anything of a task is left in it, read from
 * its own /proc/net/sockstat[6] ("sockets: used" counts every socket made in it, of any family, until
 * it is freed: a socket a task gave away to a process outside before it died keeps it above 0). */
static int no_socket_left(char *why, size_t room) {
    for (int round = 0; round < 12; round++) {
        /* sockets this code closed in it (the claim's libnftables socket) are freed an RCU grace
         * period after their close: a task that ended at once may find one counted still in
         * "sockets: used" (and in no protocol's count), so that alone is read again a few times */
        if (round) {
            /* libnftables' socket took up to 50 ms to be freed here (measured) */
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        int clean = 1, files = 0, theirs = 0;
        const char *paths[] = {"/proc/thread-self/net/sockstat", "/proc/thread-self/net/sockstat6"};
        for (int i = 0; i < 2; i++) {
            FILE *in = fopen(paths[i], "re");
            if (!in) continue;
            files++;
            char line[256];
            while (fgets(line, sizeof line, in)) {
                char whole[256];
                snprintf(whole, sizeof whole, "%s", line);
                /* the namespace's own counts: sockets used, TCP inuse and tw, UDP, RAW, FRAG inuse ...
                 * ("orphan", "alloc" and "mem" are the whole machine's: an orphaned TCP socket of
                 * this namespace is still in its "inuse" and "used") */
                char *save, *word = strtok_r(line, " \n", &save);
                for (char *prev = word; (word = strtok_r(NULL, " \n", &save)); prev = word) {
                    if (strcmp(prev, "used") && strcmp(prev, "inuse") && strcmp(prev, "tw")) continue;
                    if (atol(word) == 0) continue;
                    if (clean) snprintf(why, room, "%.*s", (int)strcspn(whole, "\n"), whole);
                    clean = 0;
                    /* a protocol's own count (a connection, a listener, TIME_WAIT): not one of ours */
                    if (strcmp(prev, "used") != 0) theirs = 1;
                }
            }
            fclose(in);
        }
        if (files == 0 || theirs) return 0;
        if (clean) return 1;
    }
    return 0;
}

/* Inside the namespace: its connection tracking emptied (ctnetlink's delete without a tuple: every
 * entry of this namespace), so no entry of the last task's flows admits a packet to the next. */
static int flush_conntrack(void) {
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (nl < 0) return -1;
    struct request r;
    struct nfgenmsg *g = request(&r, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, 0, sizeof *g);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    int rc = talk(nl, &r);
    close(nl);
    return rc;
}

/* Inside the namespace: the TCP metrics cache emptied (the peers the last task spoke to, their RTTs
 * and Fast Open cookies: any process of the namespace may list it). Generic netlink: the family's
 * id first, then TCP_METRICS_CMD_DEL without an address, which deletes every entry. */
static int flush_tcp_metrics(void) {
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (nl < 0) return -1;
    struct request r;
    struct genlmsghdr *g = request(&r, GENL_ID_CTRL, 0, sizeof *g);
    r.h.nlmsg_flags = NLM_F_REQUEST;
    g->cmd = CTRL_CMD_GETFAMILY;
    g->version = 1;
    attr(&r, CTRL_ATTR_FAMILY_NAME, TCP_METRICS_GENL_NAME, sizeof TCP_METRICS_GENL_NAME);
    int family = -1;
    if (send(nl, r.bytes, r.h.nlmsg_len, 0) >= 0) {
        char answer[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
        ssize_t n = recv(nl, answer, sizeof answer, 0);
        int len = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)answer; n > 0 && NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type != GENL_ID_CTRL) continue;
            struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
            int left = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
            for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
                if (a->rta_type == CTRL_ATTR_FAMILY_ID) family = *(unsigned short *)RTA_DATA(a);
        }
    }
    int rc = -1;
    if (family > 0) {
        g = request(&r, family, 0, sizeof *g);
        g->cmd = TCP_METRICS_CMD_DEL;
        g->version = TCP_METRICS_GENL_VERSION;
        rc = talk(nl, &r);
    }
    close(nl);
    return rc;
}

/* Inside the namespace: its nftables ruleset removed (the next task's is loaded by its claim). */
static int flush_rules(int log) {
    void *library = dlopen(NFTABLES_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (library) {
        void *(*ctx_new)(unsigned) = (void *(*)(unsigned))dlsym(library, "nft_ctx_new");
        int (*from_buffer)(void *, const char *) = (int (*)(void *, const char *))dlsym(library, "nft_run_cmd_from_buffer");
        void (*ctx_free)(void *) = (void (*)(void *))dlsym(library, "nft_ctx_free");
        void *ctx = ctx_new && from_buffer && ctx_free ? ctx_new(0) : NULL;
        if (ctx) {
            int rc = from_buffer(ctx, "flush ruleset");
            ctx_free(ctx);
            return rc == 0 ? 0 : -1;
        }
    }
    char *nft[] = {"nft", "flush", "ruleset", NULL};
    return run(nft, log, 0) == 0 ? 0 : -1;
}

int srg_net_unname(const char *ns, const char *netdir, struct srg_pooled *out, int log) {
    out->fd = -1;
    out->link[0] = out->address[0] = 0;
    char *file;
    if (asprintf(&file, "%s/dnsmasq.conf", netdir) < 0) return -1;
    int resolver = access(file, F_OK) == 0;
    free(file);
    if (resolver) { /* a daemon of its own session was in it (docs/networks.md) */
        say(log, "not reused: the task had a resolver\n");
        return -1;
    }
    if (asprintf(&file, "%s/link", netdir) < 0) return -1;
    FILE *in = fopen(file, "re");
    free(file);
    if (!in) {
        say(log, "not reused: no %s/link\n", netdir);
        return -1;
    }
    int read_ok = fscanf(in, "%15s %15s", out->link, out->address) == 2;
    fclose(in);
    if (!read_ok) {
        say(log, "not reused: no link in %s/link\n", netdir);
        return -1;
    }
    char *path;
    if (asprintf(&path, "%s/%s", NETNS_DIR, ns) < 0) return -1;
    int named = open(path, O_RDONLY | O_CLOEXEC);
    int host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    /* the namespace's own descriptor, not one of the name's bind mount (that one would show the
     * removed name in /proc/<pid>/fd, not net:[inode]) */
    int fd = -1;
    if (named >= 0 && host_ns >= 0 && setns(named, CLONE_NEWNET) == 0) {
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70); /* never run on in the task's namespace */
    }
    if (named >= 0) close(named);
    if (host_ns >= 0) close(host_ns);
    if (fd < 0) {
        say(log, "not reused: cannot enter %s: %s\n", ns, strerror(errno));
        free(path);
        return -1;
    }
    /* the link's policy rules go as with srg_net_down: the next task's group adds its own */
    int nl = route_socket();
    if (nl >= 0) {
        while (rule(nl, RTM_DELRULE, out->link, 0) == 0) {}
        close(nl);
    }
    /* unnamed: from here on fd is its only reference, as for a namespace made ahead */
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL) say(log, "umount %s: %s\n", path, strerror(errno));
    if (unlink(path) != 0) say(log, "unlink %s: %s\n", path, strerror(errno));
    free(path);
    out->fd = fd;
    return 0;
}

int srg_net_recycle(struct srg_pooled *ns, int log) {
    int host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns < 0 || setns(ns->fd, CLONE_NEWNET) != 0) {
        say(log, "not reused: cannot enter it: %s\n", strerror(errno));
        if (host_ns >= 0) close(host_ns);
        return -1;
    }
    /* --- inside: nothing of the task may be left, or it is not reused --- */
    char why[256] = "";
    int ok = no_socket_left(why, sizeof why);
    if (!ok) say(log, "not reused: a socket is left in it (%s)\n", why);
    if (ok && flush_conntrack() != 0) { say(log, "not reused: conntrack not flushed\n"); ok = 0; }
    if (ok && flush_tcp_metrics() != 0) { say(log, "not reused: tcp metrics not flushed\n"); ok = 0; }
    /* a new generation of the routing cache: path MTUs and redirects learnt are forgotten */
    if (ok && write_text("/proc/sys/net/ipv4/route/flush", "1") != 0) { say(log, "not reused: routing cache not flushed\n"); ok = 0; }
    if (ok && flush_rules(log) != 0) { say(log, "not reused: nftables not flushed\n"); ok = 0; }
    if (setns(host_ns, CLONE_NEWNET) != 0) _exit(70); /* never run on in the task's namespace */
    close(host_ns);
    return ok ? 0 : -1;
}
