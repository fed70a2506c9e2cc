/*
 * srg instance supervisor, compiled: the same contract as supervisor.sh (which stays the fallback
 * where no C compiler built this), at two process starts per task instead of about fourteen.
 *
 *   srg-supervisor <instance-dir>
 *   srg-supervisor --launcher <base-dir> <padding>     (see launcher() below)
 *
 * Forked by the launcher (or started by the server); takes a session of its own so that it
 * outlives both. It runs the task of one instance at most once (the link(2) of "started"), in
 * its cgroups, as its own uid,
 * enforces the timeout, kills the whole task at the end, keeps at most OUTPUT_CAP bytes of its
 * output and writes the exit file. The files of the instance directory, their formats and the exit
 * codes (70: no directory, 71: no spec, 75: another supervisor has the run) are supervisor.sh's;
 * InstanceDirectory reads them.
 *
 * Where supervisor.sh forks a process, this does the work itself: the output copier is a loop
 * here, the watchdog a poll timeout; entering the task's network and mount namespaces, binding
 * its resolver files and its image, clearing the environment and switching the user are system
 * calls in the task's process before its exec; the task's network namespace, its links, routes,
 * policy rules and nftables table are made and removed here too (srg-netns.c, netns.sh's work).
 * What stays a command: the task's resolver (dnsmasq) when it has one, and bubblewrap for a task
 * in an image.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -o srg-supervisor srg-supervisor.c srg-netns.c (scripts/build-supervisor.sh)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "srg-netns.h"

extern char **environ;

#define MAX_VARS 64
#define MAX_CGROUPS 4

static struct { char *name, *value; } vars[MAX_VARS];
static int nvars;

static const char *var(const char *name) {
    for (int i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0) return vars[i].value;
    return "";
}

static char *xstrdup(const char *s) {
    char *c = strdup(s);
    if (!c) _exit(70);
    return c;
}

static char *format(const char *fmt, ...) {
    va_list ap;
    char *out;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0) _exit(70);
    va_end(ap);
    return out;
}

/* The whole file, NUL-terminated; *len its size. NULL when it cannot be read. */
static char *read_all(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
        if (!buf) _exit(70);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += r;
    }
    close(fd);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* 0 when all of value is written; -1 with errno (a short write on a full disk: ENOSPC) */
static int write_file(const char *path, const char *value, int flags) {
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0600);
    if (fd < 0) return -1;
    size_t len = strlen(value), off = 0;
    int saved = 0;
    while (off < len) {
        ssize_t w = write(fd, value + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { saved = w < 0 ? errno : ENOSPC; break; }
        off += (size_t)w;
    }
    if (close(fd) != 0 && !saved && errno != EINTR) saved = errno; /* a delayed allocation's ENOSPC, EDQUOT */
    errno = saved;
    return saved ? -1 : 0;
}

static int write_in(const char *dir, const char *file, const char *value) {
    char *path = format("%s/%s", dir, file);
    int rc = write_file(path, value, 0);
    free(path);
    return rc;
}

/* spec: NAME='value' lines, the value single-quoted as the server writes it ('\'' for a quote). */
static int parse_spec(char *text) {
    char *p = text;
    while (*p) {
        char *line_end = p;
        char *eq = strchr(p, '=');
        if (!eq) break;
        *eq = 0;
        char *name = p, *in = eq + 1, *out = eq + 1;
        for (;;) {
            if (*in == '\'') {
                in++;
                while (*in && *in != '\'') *out++ = *in++;
                if (*in != '\'') return -1;
                in++;
            } else if (*in == '\\' && in[1]) {
                *out++ = in[1];
                in += 2;
            } else {
                break;
            }
        }
        if (*in != '\n' && *in != 0) return -1;
        line_end = *in ? in + 1 : in;
        *out = 0;
        if (nvars == MAX_VARS) return -1;
        vars[nvars].name = name;
        vars[nvars].value = eq + 1;
        nvars++;
        p = line_end;
    }
    return 0;
}

/* NUL-separated entries of a file as a NULL-terminated vector (extra slots for additions). */
static char **nul_list(const char *path, int extra, int *count) {
    size_t len;
    char *buf = read_all(path, &len);
    if (!buf) return NULL;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == 0) n++;
    char **list = calloc(n + extra + 1, sizeof *list);
    if (!list) _exit(70);
    int k = 0;
    for (size_t i = 0; i < len && k < n; k++) {
        list[k] = buf + i;
        i += strlen(buf + i) + 1;
    }
    *count = k;
    return list;
}

/* bash's $EPOCHREALTIME: seconds and microseconds */
static char *epoch_text(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return format("%lld.%06ld", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Fields of /proc/<pid>/stat after "(comm) ": [0] state, [1] ppid, [2] pgrp, [3] session, [19] starttime. */
static int stat_fields(pid_t pid, char *state, long long *ppid, long long *session, unsigned long long *start) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *rest = strrchr(buf, ')');
    if (!rest || rest[1] != ' ') return -1;
    rest += 2;
    char st;
    long long pp, pg, se;
    unsigned long long f[17];
    if (sscanf(rest, "%c %lld %lld %lld %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
               &st, &pp, &pg, &se, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10],
               &f[11], &f[12], &f[13], &f[14], &f[15], &f[16]) != 21)
        return -1;
    if (state) *state = st;
    if (ppid) *ppid = pp;
    if (session) *session = se;
    if (start) *start = f[15];
    return 0;
}

/* --- state --- */
static const char *stop_reason;        /* CANCELLED, TIMEOUT or DISK_LIMIT once asked to stop */
static long long home_limit, home_peak; /* HOME_LIMIT (0: none) and the most its home held at a look */
static int limits_enforced, contained;
static char *limits_note, *pids_note = "", *output_note;
static const char *cgroup_dirs[MAX_CGROUPS];
static int ncgroups;
static long long nproc_limit = -1;
static pid_t task;
static pid_t init_pid = -1; /* the init of the task's pid namespace (make_init) */
static int sigfd = -1;
/* The launcher's CPU priority (issue 17, eighth round): it and the supervisors it forks run at
 * base_nice + SRG_LAUNCH_NICE, below the server and its PostgreSQL, so that a submission's work
 * goes ahead of launches on a contended machine; a task (and its resolver) gets base_nice back. */
static int base_nice, nice_lowered;
/* The namespace made ahead that the launcher gave this supervisor, if any (fd -1: none), and
 * where its task says that its launch is done, just before its exec (the launcher's maker waits
 * for that: see pool_refill). */
static struct srg_pooled pooled = {-1, "", ""};
static int network_done = -1;
/* Where this supervisor gives its task's namespace back to the launcher, for the next task of the
 * same group and workspace (see reuse_receive); -1: nowhere (started without the launcher). */
static int reuse_back = -1;

/* Sends text over the Unix socket sock with the descriptor fd (SCM_RIGHTS; -1: text alone); the
 * bytes sent, or -1. */
static ssize_t send_with_fd(int sock, const char *text, int fd, int flags) {
    union {
        char bytes[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {(void *)text, strlen(text)};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (fd >= 0) {
        m.msg_control = control.bytes;
        m.msg_controllen = sizeof control.bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t sent;
    while ((sent = sendmsg(sock, &m, flags | MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    return sent;
}

/* Receives one message of sock into text (at most room - 1 bytes, NUL-terminated) and the
 * descriptor sent with it into *fd (close-on-exec; -1: none); the bytes read, 0 when the other end
 * is gone, -1 on an error (EAGAIN with MSG_DONTWAIT). */
static ssize_t recv_with_fd(int sock, char *text, size_t room, int flags, int *fd) {
    union {
        char bytes[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {text, room - 1};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.bytes;
    m.msg_controllen = sizeof control.bytes;
    ssize_t n;
    while ((n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
    *fd = -1;
    text[n > 0 ? n : 0] = 0;
    if (n > 0)
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
    return n;
}

/* Gives the recycled namespace to the launcher under key: 1 when it has it (this copy is closed
 * either way: a launcher gone, the namespace goes with its last descriptor). */
static int reuse_give(const char *key, struct srg_pooled *ns) {
    char text[200];
    snprintf(text, sizeof text, "r %s %s %s", key, ns->link, ns->address);
    ssize_t sent = send_with_fd(reuse_back, text, ns->fd, MSG_DONTWAIT);
    close(ns->fd);
    ns->fd = -1;
    return sent == (ssize_t)strlen(text);
}

static void note_failure(const char *where) {
    limits_note = format("cgroup setup failed at %s; task runs without limits", where);
    for (int i = 0; i < ncgroups; i++) rmdir(cgroup_dirs[i]);
    ncgroups = 0;
}

static int ensure_dir(const char *d) {
    return mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static void setup_cgroups(void) {
    const char *version = var("CG_VERSION"), *mem = var("MEM_LIMIT");
    if (strcmp(version, "1") == 0) {
        /* the server normally creates the directories */
        const char *dirs[] = {var("CG_MEMORY"), var("CG_CPU"), var("CG_CPUACCT")};
        for (int i = 0; i < 3; i++) {
            if (ensure_dir(dirs[i]) != 0) { char *w = format("mkdir %s", dirs[i]); note_failure(w); return; }
            cgroup_dirs[ncgroups++] = dirs[i];
        }
        if (write_in(dirs[0], "memory.limit_in_bytes", mem) != 0) { note_failure("memory.limit_in_bytes"); return; }
        /* no swap for the task: memsw is only there with swap accounting, swappiness is a fallback */
        write_in(dirs[0], "memory.memsw.limit_in_bytes", mem);
        write_in(dirs[0], "memory.swappiness", "0");
        if (write_in(dirs[1], "cpu.cfs_period_us", var("CPU_PERIOD_US")) != 0) { note_failure("cpu.cfs_period_us"); return; }
        if (write_in(dirs[1], "cpu.cfs_quota_us", var("CPU_QUOTA_US")) != 0) { note_failure("cpu.cfs_quota_us"); return; }
    } else if (strcmp(version, "2") == 0) {
        const char *d = var("CG_UNIFIED");
        if (ensure_dir(d) != 0) { char *w = format("mkdir %s", d); note_failure(w); return; }
        cgroup_dirs[ncgroups++] = d;
        if (write_in(d, "memory.max", mem) != 0) { note_failure("memory.max"); return; }
        write_in(d, "memory.swap.max", "0");
        char *cpu = format("%s %s", var("CPU_QUOTA_US"), var("CPU_PERIOD_US"));
        if (write_in(d, "cpu.max", cpu) != 0) { note_failure("cpu.max"); return; }
    } else {
        return;
    }
    limits_enforced = contained = 1;
    limits_note = xstrdup(var("LIMITS_NOTE_ENFORCED"));
}

/* The cgroup pids controller where there is one, else RLIMIT_NPROC of the task's own uid. The
 * init of a task's pid namespace (make_init) is in neither: the supervisor's child outside the
 * task's cgroups, root's; the task has all of its limit. */
static void setup_pids(void) {
    const char *version = var("CG_VERSION"), *max = var("PIDS_MAX");
    const char *d = var("CG_PIDS");
    if (strcmp(version, "2") == 0 && !limits_enforced) d = "";
    if (*d) {
        int ok = 1;
        if (strcmp(version, "1") == 0 && ensure_dir(d) != 0) ok = 0;
        if (ok && write_in(d, "pids.max", max) == 0) {
            if (strcmp(version, "1") == 0) cgroup_dirs[ncgroups++] = d;
            contained = 1;
            pids_note = format("pids %s (cgroup pids controller)", max);
            return;
        }
        if (ok && strcmp(version, "1") == 0) rmdir(d);
    }
    if (*var("RUN_UID")) {
        nproc_limit = atoll(max);
        pids_note = format("pids %s (RLIMIT_NPROC of the task's own uid; no cgroup pids controller)", max);
    } else {
        pids_note = "pids not limited (no cgroup pids controller, and RLIMIT_NPROC would count the server's own uid)";
    }
}

static int is_alive_not_zombie(pid_t pid) {
    char state;
    return stat_fields(pid, &state, NULL, NULL, NULL) == 0 && state != 'Z';
}

/* Kills every process of the task: its process group, the members of its cgroups and, without
 * cgroups, every process of its uid (kill -1 as that uid) or else of this session. */
static void kill_tree(void) {
    const char *uid = var("RUN_UID"), *gid = var("RUN_GID");
    pid_t self = getpid();
    for (int round = 1; round <= 100; round++) {
        int found = 0;
        if (task > 0) kill(-task, SIGKILL);
        /* the init of its pid namespace: with it the kernel kills every process left there (not
         * waited for here: the init's end waits until the supervisor has reaped the task's first
         * process, its child) */
        if (init_pid > 0) kill(init_pid, SIGKILL);
        for (int i = 0; i < ncgroups; i++) {
            char *path = format("%s/cgroup.procs", cgroup_dirs[i]);
            char *procs = read_all(path, NULL);
            free(path);
            if (!procs) continue;
            for (char *line = strtok(procs, "\n"); line; line = strtok(NULL, "\n")) {
                pid_t p = atoi(line);
                if (p > 0 && is_alive_not_zombie(p) && kill(p, SIGKILL) == 0) found = 1;
            }
            free(procs);
        }
        if (!contained && *uid) {
            if (round == 1) {
                /* once is enough: every process of the uid is signalled at once, forks included */
                pid_t k = fork();
                if (k == 0) {
                    if (setgroups(0, NULL) == 0 && setresgid(atoi(gid), atoi(gid), atoi(gid)) == 0
                        && setresuid(atoi(uid), atoi(uid), atoi(uid)) == 0)
                        kill(-1, SIGKILL);
                    _exit(0);
                }
                if (k > 0) while (waitpid(k, NULL, 0) < 0 && errno == EINTR) {}
            }
        } else if (!contained) {
            DIR *proc = opendir("/proc");
            struct dirent *e;
            while (proc && (e = readdir(proc))) {
                pid_t p = atoi(e->d_name);
                if (p <= 0 || p == self) continue;
                char state;
                long long session;
                if (stat_fields(p, &state, NULL, &session, NULL) == 0 && session == self && state != 'Z'
                    && kill(p, SIGKILL) == 0)
                    found = 1;
            }
            if (proc) closedir(proc);
        }
        if (!found) return;
        sleep_ms(20);
    }
}

/* The "key value" line of a file, or NULL. */
static char *read_value(const char *path, const char *key) {
    char *text = read_all(path, NULL);
    if (!text) return NULL;
    size_t klen = strlen(key);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return xstrdup(line + klen + 1);
    }
    return NULL;
}

static char *first_line(const char *path) {
    char *text = read_all(path, NULL);
    if (!text) return NULL;
    text[strcspn(text, "\n")] = 0;
    return text;
}

static void handle_signals(void) {
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP) {
            if (!stop_reason) stop_reason = "CANCELLED";
        }
    }
}

/* --- the output copier: the supervisor itself, as root, outside the task's cgroups --- */
static int out_read = -1, out_log = -1;
static long long out_cap, out_kept, out_dropped, out_lost; /* out_lost: not written, the disk full */

/* Copies what the pipe has; 0 at its end (every writer gone), 1 otherwise. */
static int copy_output(void) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(out_read, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 1;
        if (n <= 0) return 0;
        long long keep = out_cap - out_kept;
        if (keep > n) keep = n;
        if (keep > 0) {
            ssize_t off = 0;
            while (off < keep) {
                ssize_t w = write(out_log, buf + off, keep - off);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) break;
                off += w;
            }
            /* a full disk costs the output, never the task: what could not be written is counted and said */
            out_lost += keep - off;
            out_kept += keep;
        }
        out_dropped += n - keep;
    }
}

/* --- the task's home on the disk: measured as the kubelet measures a Pod's ephemeral storage --- */
#define HOME_CHECK_MS 2000 /* LocalExecutionBackend.HOME_CHECK_SECONDS */
static long long home_bytes; /* the sum of one walk */

static int home_add(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)path; (void)flag; (void)ftw;
    home_bytes += (long long)st->st_blocks * 512; /* what it takes of the disk, holes not counted */
    return 0;
}

/* The bytes the task's home takes on the disk now (symbolic links not followed, other file systems not
 * entered); -1 when it cannot be walked. */
static long long home_usage(const char *home) {
    home_bytes = 0;
    if (nftw(home, home_add, 16, FTW_PHYS | FTW_MOUNT) != 0) return -1;
    return home_bytes;
}

static void child_failed(const char *dir, const char *fmt, const char *arg) {
    char *path = format("%s/launch_failed", dir);
    char *why = format(fmt, arg, strerror(errno));
    write_file(path, why, O_CREAT | O_TRUNC);
    _exit(1);
}

/*
 * What a task of its own uid gets of its own beside its uid (README "Isolation between tasks"): a
 * private /tmp, /var/tmp, /dev/shm and /run/lock (those that are directories here), one tmpfs
 * bound on each (its own directory of it: one size cap for all four, its pages charged to the
 * writer's memory cgroup), /proc mounted afresh with hidepid=invisible (a process of another uid,
 * the supervisor's, the server's, is not there) and an IPC namespace of its own (SysV shared
 * memory, semaphores, message queues and POSIX message queues). All of it lives in the task's
 * mount and IPC namespaces only: it goes with the task's last process, nothing to clean up on the
 * host. Mounted by the task's process as root, before it takes its uid.
 */
static const char *const private_dirs[] = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock"};
#define NPRIVATE 4

/* Which of private_dirs are directories here (bit i for private_dirs[i]). */
static int private_present(void) {
    int present = 0;
    struct stat st;
    for (int i = 0; i < NPRIVATE; i++)
        if (stat(private_dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) present |= 1 << i;
    return present;
}

static char *private_list(int present) {
    char *list = xstrdup("");
    for (int i = 0; i < NPRIVATE; i++)
        if (present & (1 << i)) list = format("%s%s%s", list, *list ? ", " : "", private_dirs[i]);
    return list;
}

/* The note's four parts: each what failed and why when it did (non-null), else what was made. */
static char *private_note(int present, const char *size, const char *tmp_part, const char *pid_part, const char *proc_part,
                          const char *ipc_part) {
    char *tmp_made = format("private %s (one tmpfs of at most %s bytes, the task's memory limit)", private_list(present), size);
    return format("%s; %s; %s; %s", tmp_part ? tmp_part : tmp_made, pid_part ? pid_part : "own pid namespace",
                  proc_part ? proc_part : "/proc hidepid=invisible", ipc_part ? ipc_part : "own IPC namespace");
}

/*
 * A pid namespace of its own for the task (README "Isolation between tasks"). The supervisor makes
 * it early, off the task's path (make_init: unshare(CLONE_NEWPID), then a fork, which is the new
 * namespace's pid 1, its init), and goes back to its own pid namespace for its other children (a
 * resolver, a helper); later it forks the task's first process into the task's namespace (fork_task:
 * setns there, fork, setns back), pid 2, its own child as without a namespace: its wait status is
 * the task's, a signal sent to it is the task's, and no new process of the init's has to be
 * scheduled between the task's setup and its exec (issue 17, fifteenth round). The init (task_init,
 * root, outside the task's cgroups) reaps what is orphaned in the namespace and passes on to the
 * task a signal sent to it from outside; it lives until the supervisor kills it (kill_tree: the
 * kernel then kills every process left in the namespace) or dies (PR_SET_PDEATHSIG). The task's first
 * process mounts the namespace's /proc (make_private). The task cannot name, signal or trace any
 * process outside it. pid_why: why not, when the kernel refused (the task then runs as before, in
 * the supervisor's pid namespace, and the note says so).
 */
static const char *pid_why;
/* the supervisor's own pid namespace and the task's (ns_task: its children's, open while the init lives) */
static int ns_own = -1, ns_task = -1;
/* set in the task's first process when it is in a pid namespace of its own */
static int in_own_pid_ns;

/* Signals the task's init passes on to the task's first process (a kill of the init from outside:
 * the task's trap runs as it would for a signal sent to the task itself). */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* The init of the task's pid namespace, pid 1 in it. parent: a pidfd of the supervisor (or -1), to
 * see that it died before the death signal was asked for. Never returns. */
static void task_init(int parent, const sigset_t *watched) {
    prctl(PR_SET_NAME, "srg-task-init", 0, 0, 0);
    /* a supervisor killed takes the init with it, and the kernel the task's whole namespace */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct pollfd gone = {parent, POLLIN, 0};
    if (parent >= 0 && poll(&gone, 1, 0) > 0) _exit(0);
    /* none of the supervisor's descriptors (its pipes, its sockets, its namespace's): it has only these */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
        for (int fd = 3; fd < 1024; fd++) close(fd);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(watched, &si);
        if (sig < 0) continue;
        /* the task's first process is pid 2 here: the first fork into the namespace after the init's */
        if (sig != SIGCHLD) kill(2, sig);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
}

static void no_init(const char *what) {
    pid_why = format("no pid namespace of its own (%s: %s)", what, strerror(errno));
}

/* The task's pid namespace and its init, made ahead of the task (see pid_why). */
static void make_init(void) {
    ns_own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (ns_own < 0) {
        no_init("/proc/self/ns/pid");
        return;
    }
    if (unshare(CLONE_NEWPID) != 0) {
        no_init("unshare");
        close(ns_own);
        ns_own = -1;
        return;
    }
    /* the signals it waits for blocked before the fork: none is lost, none kills it first */
    sigset_t watched, before;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&watched, forwarded[i]);
    sigprocmask(SIG_BLOCK, &watched, &before);
#ifdef SYS_pidfd_open
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0U);
#else
    int self = -1;
#endif
    init_pid = fork();
    if (init_pid == 0) task_init(self, &watched);
    int failed = errno;
    sigprocmask(SIG_SETMASK, &before, NULL);
    if (self >= 0) close(self);
    /* the namespace for the task's fork (there is none to open before its init: ENOENT) */
    const char *step = "fork";
    if (init_pid > 0 && (ns_task = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC)) < 0) {
        failed = errno;
        step = "/proc/self/ns/pid_for_children";
        kill(init_pid, SIGKILL); /* reaped with the task's end (supervise) */
    }
    /* the supervisor's other children (a resolver, kill_tree's, the recycler) are of its own namespace */
    if (setns(ns_own, CLONE_NEWPID) != 0) {
        /* never seen; its forks would be the task's namespace's: a task without one rather than that */
        write_file("launch_failed", "could not return to the supervisor's pid namespace\n", O_CREAT | O_TRUNC);
    }
    if (ns_task < 0) {
        errno = failed;
        no_init(step);
    }
}

/* The supervisor's fork of its task's process: into the task's pid namespace when make_init made
 * one (pid 2 there), else a plain fork (pid_why says why). */
static pid_t fork_task(void) {
    if (ns_task >= 0) {
        pid_t child = -1;
        if (setns(ns_task, CLONE_NEWPID) == 0) {
            child = fork();
            int failed = errno;
            if (child == 0) {
                in_own_pid_ns = 1;
                return 0;
            }
            if (setns(ns_own, CLONE_NEWPID) != 0) _exit(70); /* see make_init */
            errno = failed;
        }
        if (child > 0) return child;
        /* the init gone (killed from outside: a fork there fails) or the kernel refused */
        no_init("fork into it");
        kill(init_pid, SIGKILL);
    }
    return fork();
}

/* keep: a path the task needs (its instance directory, a file its command names) that lies under
 * one of the private directories; bound back at the same place over the new tmpfs. */
static int under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* mkdir -p of path's parents (root's, 0755) inside the new tmpfs, then the leaf as a directory or
 * an empty file (a bind mount's target must be of the source's type). */
static int make_target(const char *path, int is_dir) {
    char *p = xstrdup(path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/') continue;
        *c = 0;
        if (mkdir(p, 0755) == 0) chmod(p, 0755); /* the umask's 077 off; never an existing one (the private /tmp itself) */
        else if (errno != EEXIST) return -1;
        *c = '/';
    }
    if (is_dir) return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

/*
 * In the task's new mount namespace (private propagation): the tmpfs, staged on the first private
 * directory, a directory of it bound on each one (the staging one last, over its own root, which
 * the task then never reaches), the kept paths bound back, /proc. *tmp_part and *proc_part are
 * the note's parts, said again with what failed and why when something did.
 */
static void make_private(int present, const char *size, char **keep, int nkeep, char **tmp_part, char **proc_part) {
    int keep_fd[64], nfd = 0;
    const char *keep_path[64];
    for (int i = 0; i < nkeep && nfd < 64; i++) {
        if (keep[i][0] != '/') continue;
        for (int d = 0; d < NPRIVATE; d++) {
            if (!(present & (1 << d)) || !under(keep[i], private_dirs[d])) continue;
            int fd = open(keep[i], O_PATH | O_CLOEXEC);
            if (fd >= 0) { keep_fd[nfd] = fd; keep_path[nfd++] = keep[i]; }
            break;
        }
    }
    int stage = -1;
    for (int d = 0; d < NPRIVATE && stage < 0; d++)
        if (present & (1 << d)) stage = d;
    const char *why = NULL;
    char *opts = format("mode=0755,size=%s", size);
    if (stage >= 0 && mount("tmpfs", private_dirs[stage], "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) why = "the tmpfs";
    for (int d = 0; d < NPRIVATE && stage >= 0 && !why; d++) {
        if (!(present & (1 << d))) continue;
        char *own = format("%s/%d", private_dirs[stage], d);
        if (mkdir(own, 01777) != 0 || chmod(own, 01777) != 0) why = "a directory of the tmpfs";
    }
    for (int k = 1; stage >= 0 && !why && k <= NPRIVATE; k++) {
        int d = (stage + k) % NPRIVATE; /* the staging one last */
        if (!(present & (1 << d))) continue;
        char *own = format("%s/%d", private_dirs[stage], d);
        if (mount(own, private_dirs[d], NULL, MS_BIND, NULL) != 0) why = private_dirs[d];
    }
    for (int i = 0; i < nfd && !why; i++) {
        struct stat st;
        char *source = format("/proc/self/fd/%d", keep_fd[i]);
        if (fstat(keep_fd[i], &st) != 0 || make_target(keep_path[i], S_ISDIR(st.st_mode)) != 0
            || mount(source, keep_path[i], NULL, MS_BIND | MS_REC, NULL) != 0)
            why = keep_path[i];
    }
    for (int i = 0; i < nfd; i++) close(keep_fd[i]);
    if (why) *tmp_part = format("no private %s (the mount of %s failed: %s)", private_list(present), why, strerror(errno));
    else if (stage < 0) *tmp_part = xstrdup("no private /tmp (no such directory here)");
    /* hidepid applies to one procfs instance only since Linux 5.8, which also brought "invisible":
     * on an older kernel hidepid=2 would change the host's /proc for everyone, so it is not tried */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") != 0) {
        int refused = errno;
        *proc_part = format("/proc not restricted (hidepid=invisible refused: %s%s)", strerror(refused),
                            refused == EINVAL ? "; a kernel before Linux 5.8 has no per-mount hidepid" : "");
        /* in a pid namespace of its own, a /proc of that namespace all the same (a new procfs
         * instance: its options are its own whatever the kernel; the host's /proc would name
         * processes the task cannot reach) */
        if (in_own_pid_ns) mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    }
}

/*
 * srg-supervisor --private-probe SIZE: what a task would get here, tried for real in a child of
 * new namespaces (pid, IPC, mount; gone with it), as the limits note says it; the server logs it
 * at start.
 */
static int private_probe(const char *size) {
    pid_t child = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | SIGCHLD), NULL, NULL, NULL, NULL);
    if (child < 0) {
        no_init("clone");
        child = fork();
    }
    if (child == 0) {
        in_own_pid_ns = !pid_why;
        int present = private_present();
        char *tmp_part = NULL, *proc_part = NULL, *ipc_part = NULL;
        if (unshare(CLONE_NEWIPC) != 0) ipc_part = format("no IPC namespace of its own (%s)", strerror(errno));
        if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
            tmp_part = format("no private %s (no mount namespace: %s)", private_list(present), strerror(errno));
            proc_part = xstrdup("/proc not restricted (no mount namespace)");
        } else {
            make_private(present, size, NULL, 0, &tmp_part, &proc_part);
        }
        printf("%s\n", private_note(present, size, tmp_part, pid_why, proc_part, ipc_part));
        fflush(stdout);
        _exit(0);
    }
    int status;
    if (child < 0) return 70;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return 70;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 70;
}

/* The note's parts of a task in an image: bubblewrap's (its own root, /proc of its pid namespace);
 * size: IMAGE_TMP_SIZE, the bytes passed as bubblewrap's --size ("" where it has no --size). */
static char *image_private_note(const char *size) {
    char *tmp = *size ? format("/tmp and /home each of at most %s bytes, the task's memory limit, /dev and /dev/shm without a size "
                               "of their own", size)
                      : xstrdup("without a size of its own: this bubblewrap has no --size");
    return format("private /tmp and /dev/shm (bubblewrap's tmpfs; %s; /var/tmp the image's, read-only); /proc of its own pid "
                  "namespace; own IPC namespace", tmp);
}

/*
 * The task's process, as supervisor.sh's subshell and its exec chain: a process group of its own,
 * its cgroups, its home, RLIMIT_NPROC, its output; then what nsenter, unshare, netns.sh enter,
 * the image's bind mount, env -i and setpriv did there, each without an exec of its own.
 */
static void exec_task(const char *dir, char **argv, char **task_env, int out_write, const char *ns, int enter_net,
                      const char *image, int switch_uid, int private_fs) {
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    char self[32];
    snprintf(self, sizeof self, "%d", (int)getpid());
    /* cgroup v1: "0" into "tasks" moves the calling thread, which is this whole process (a fork has
     * one thread). Writing a pid into cgroup.procs moves a thread group and write-locks the kernel's
     * threadgroup rwsem, an RCU grace period when nothing else did so just before: 11-15 ms per task
     * with tasks 200 ms apart, against about 1 ms (issue 17, docs/benchmarks.md, fifth round). */
    int v1 = strcmp(var("CG_VERSION"), "1") == 0;
    for (int i = 0; i < ncgroups; i++) {
        if (write_in(cgroup_dirs[i], v1 ? "tasks" : "cgroup.procs", v1 ? "0" : self) != 0) {
            char *why = format("could not join cgroup %s\n", cgroup_dirs[i]);
            write_file("launch_failed", why, O_CREAT | O_TRUNC);
            _exit(1);
        }
    }
    if (chdir("home") != 0) {
        write_file("launch_failed", "no home directory\n", O_CREAT | O_TRUNC);
        _exit(1);
    }
    /* the launcher's lowered priority is not the task's: it runs at the server's */
    if (srg_task_priority() != 0) child_failed(dir, "could not give the task its priority back%s: %s\n", "");
    if (nproc_limit >= 0) {
        struct rlimit rl = {nproc_limit, nproc_limit};
        if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
            write_file("../launch_failed", "could not set RLIMIT_NPROC\n", O_CREAT | O_TRUNC);
            _exit(1);
        }
    }
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_write, 1) < 0 || dup2(out_write, 2) < 0) _exit(126);
    if (null > 2) close(null);
    if (out_write > 2) close(out_write);
    /* the task's own /tmp and the rest (make_private), not for a task in an image: bubblewrap does it */
    int want_private = private_fs && !*image;
    int present = want_private ? private_present() : 0;
    char *tmp_part = NULL, *proc_part = NULL, *ipc_part = NULL;
    if (want_private && unshare(CLONE_NEWIPC) != 0) ipc_part = format("no IPC namespace of its own (%s)", strerror(errno));
    if (enter_net || *image || want_private) {
        /* a mount namespace of its own, nothing propagating back to the host */
        if (enter_net) {
            char *path = format("/run/netns/%s", ns);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) child_failed(dir, "could not enter the task's network %s: %s\n", ns);
            close(fd);
        }
        int made = unshare(CLONE_NEWNS) == 0 && mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
        if (!made && (enter_net || *image)) child_failed(dir, "could not make the task's mount namespace%s: %s\n", "");
        if (!made) {
            /* only the private directories wanted it: said in the limits note, the task runs */
            tmp_part = format("no private %s (no mount namespace: %s)", private_list(present), strerror(errno));
            proc_part = xstrdup("/proc not restricted (no mount namespace)");
            want_private = 0;
        }
        if (enter_net) {
            /* netns.sh enter: the task's hosts and resolver over the host's */
            char *hosts = format("%s/net/hosts", dir), *resolv = format("%s/net/resolv.conf", dir);
            if (mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) != 0) child_failed(dir, "could not bind %s: %s\n", hosts);
            char *target = realpath("/etc/resolv.conf", NULL);
            if (target && mount(resolv, target, NULL, MS_BIND, NULL) != 0) child_failed(dir, "could not bind %s: %s\n", resolv);
        }
        if (*image) {
            /* the image where only this task sees it (bubblewrap then makes it the read-only root) */
            char *rootfs = format("%s/rootfs", dir);
            if (mount(image, rootfs, NULL, MS_BIND, NULL) != 0) child_failed(dir, "could not bind the image %s: %s\n", image);
        }
        if (want_private) {
            /* the instance directory first, then what the server listed (srg's own command's paths) */
            int nlisted = 0;
            char **listed = nul_list(format("%s/keep", dir), 0, &nlisted);
            char **keep = calloc(nlisted + 2, sizeof *keep);
            if (!keep) _exit(70);
            int nkeep = 0;
            keep[nkeep++] = (char *)dir;
            for (int i = 0; i < nlisted; i++) keep[nkeep++] = listed[i];
            make_private(present, var("PRIVATE_SIZE"), keep, nkeep, &tmp_part, &proc_part);
            /* the working directory as the task sees it (its instance directory may have been bound back) */
            char *home = format("%s/home", dir);
            if (chdir(home) != 0) {}
        }
    }
    if (tmp_part || pid_why || proc_part || ipc_part) {
        /* what of it failed, for the limits note (root's file: written before the uid is taken) */
        char *text = format("%s\n", private_note(present, var("PRIVATE_SIZE"), tmp_part, pid_why, proc_part, ipc_part));
        char *path = format("%s/private_failed", dir);
        write_file(path, text, O_CREAT | O_TRUNC);
    }
    if (switch_uid) {
        /* setpriv --reuid --regid --groups=<its workspace's gid, if any> --no-new-privs */
        const char *uid = var("RUN_UID"), *gid = var("RUN_GID"), *groups = var("RUN_GROUPS");
        gid_t workspace = (gid_t)strtoul(groups, NULL, 10);
        if (setgroups(*groups ? 1 : 0, *groups ? &workspace : NULL) != 0 || setresgid(atoi(gid), atoi(gid), atoi(gid)) != 0
            || setresuid(atoi(uid), atoi(uid), atoi(uid)) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            child_failed(dir, "could not switch to uid %s: %s\n", uid);
        /* in its workspace's group: what it makes in a directory of that group (setgid, 2770) its
         * workspace's other tasks may read and write; elsewhere the group is its own gid, so private */
        if (*groups) umask(007);
    }
    environ = task_env; /* env -i: only the task's environment; its PATH finds the program */
    /* the launch is done but for the exec: the launcher's maker may make the next namespace now
     * (the descriptor is close-on-exec: the task never holds it) */
    if (network_done >= 0) {
        /* a launcher that died has left the pipe without a reader: EPIPE, never a SIGPIPE to the task */
        signal(SIGPIPE, SIG_IGN);
        if (write(network_done, "d", 1) < 0) {}
        signal(SIGPIPE, SIG_DFL);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "srg-supervisor: failed to execute %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static void append(char **list, int *n, const char *item) { list[(*n)++] = (char *)item; }

static char *shell_time(long sec, long usec) { /* bash's times: 0m1.250s */
    return format("%ldm%ld.%03lds", sec / 60, sec % 60, usec / 1000);
}

static int supervise(const char *dir, int release);
static int launcher(int argc, char **argv);

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        puts("srg-supervisor 1");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "--launcher") == 0) return launcher(argc, argv);
    if (argc == 3 && strcmp(argv[1], "--private-probe") == 0) return private_probe(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: srg-supervisor <instance-dir> | --launcher <base-dir> <padding> | --private-probe <bytes>\n");
        return 64;
    }
    return supervise(argv[1], -1);
}

/*
 * The launcher (issue 17, docs/benchmarks.md "seventh round"): started once by the server, it
 * forks a supervisor for each instance directory the server writes to its stdin ("l <dir>\n") and
 * runs supervise() in that child without an exec: no jspawnhelper, no fork of the JVM, no exec and
 * dynamic linking of the supervisor, libnftables already loaded. It answers "s <dir> <pid>\n" (or
 * "f <dir> <errno>\n") and, as the supervisors' parent, "x <pid> <wait status>\n" when one exits,
 * so the server learns of an exit at once. It exits at the end of its stdin (the server gone);
 * the supervisors, each in a session of its own, run on. The child's command line (what the
 * server checks before it trusts a pid from a "started" file) is rewritten to what an exec'd
 * supervisor's is: the binary and the instance directory, over the padding argument's room.
 */
static char *cmdline_area;
static size_t cmdline_room;

static void write_all(int fd, const char *text) {
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        off += w;
    }
}

int srg_task_priority(void) {
    return nice_lowered ? setpriority(PRIO_PROCESS, 0, base_nice) : 0;
}

/*
 * Lowers the launcher's priority by SRG_LAUNCH_NICE (its children inherit it), only where a task
 * can get the priority back (raising it needs root's CAP_SYS_NICE or RLIMIT_NICE): a child tries
 * both first. Says "ready <base> <now>" afterwards, so the server can tell.
 */
static void lower_priority(void) {
    const char *want = getenv("SRG_LAUNCH_NICE");
    int step = want ? atoi(want) : 0;
    errno = 0;
    int now = getpriority(PRIO_PROCESS, 0);
    if (errno != 0) return;
    base_nice = now;
    int target = now + step > 19 ? 19 : now + step;
    if (step <= 0 || target <= now) return;
    pid_t probe = fork();
    if (probe == 0)
        _exit(setpriority(PRIO_PROCESS, 0, target) == 0 && setpriority(PRIO_PROCESS, 0, now) == 0 ? 0 : 1);
    int status;
    if (probe < 0) return;
    while (waitpid(probe, &status, 0) < 0)
        if (errno != EINTR) return;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && setpriority(PRIO_PROCESS, 0, target) == 0) nice_lowered = 1;
}

/*
 * The warm namespace pool (issue 17, ninth round; docs/networks.md): with SRG_NET_POOL=N (the
 * server sets it when task networks are enforced), a child of the launcher, the maker, makes up to
 * N network namespaces ahead (srg_net_make: namespace, sysctls, veth pair, addresses, routes, the
 * host side) and passes each one's descriptor to the launcher over a socket; a launch hands the
 * oldest to the supervisor it forks, which names it after its task and loads the task's rules and
 * resolver (srg_net_up's claim), and the maker makes the next one. The maker works beside the
 * launcher, so the launcher answers launches at once. A pooled namespace has no name: the launcher's
 * descriptor is its only reference, so a launcher, maker or supervisor that dies before a claim
 * takes it with it (the kernel removes it and its veth pair); nothing is left for a sweep. An empty
 * pool (a burst, or a maker that failed) means today's path: the supervisor makes its own.
 */
#define POOL_MAX 8
static struct srg_pooled pool[POOL_MAX];
static int pool_count, pool_target, pool_asked, maker_sock = -1;
static pid_t maker_pid;
/* Supervisors forked whose launch is not done yet (their task writes a byte to done_pipe[1] just
 * before its exec; the supervisor does when it starts no task): the maker waits for them, so that
 * making the next namespace (the kernel's rtnl lock, the CPU of a 2-core machine) never competes
 * with a launch's own network step or its task's start. A launch that dies first says nothing:
 * DONE_TIMEOUT_MS after the last launch the maker goes on anyway. */
#define DONE_TIMEOUT_MS 1000
static int done_pipe[2] = {-1, -1}, not_done;
static long long last_launch_ms;

/* The maker: one namespace per request byte, answered "o <link> <address>" with its descriptor, or
 * "e <why>"; exits at the end of its socket (the launcher gone). */
static void maker(int sock, const char *self_path) {
    /* its command line: <binary> --namespace-pool (what ps shows; never a supervisor's) */
    const char *mode = "--namespace-pool";
    if (cmdline_room > strlen(self_path) + 1 + strlen(mode)) {
        memset(cmdline_area, 0, cmdline_room);
        memcpy(cmdline_area, self_path, strlen(self_path));
        memcpy(cmdline_area + strlen(self_path) + 1, mode, strlen(mode));
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    srandom((unsigned)(getpid() ^ now.tv_nsec));
    char request;
    for (;;) {
        ssize_t n = read(sock, &request, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);
        int why = memfd_create("why", MFD_CLOEXEC);
        struct srg_pooled made;
        char text[256];
        int pass = -1;
        if (srg_net_make(random() % 4194300, &made, why) == 0) {
            snprintf(text, sizeof text, "o %s %s", made.link, made.address);
            pass = made.fd;
        } else {
            ssize_t k = why >= 0 ? pread(why, text + 2, sizeof text - 3, 0) : -1;
            text[0] = 'e';
            text[1] = ' ';
            text[k > 0 ? k + 2 : 2] = 0;
            text[strcspn(text, "\n")] = 0;
        }
        if (why >= 0) close(why);
        ssize_t sent = send_with_fd(sock, text, pass, 0);
        if (made.fd >= 0) close(made.fd); /* the launcher's now; or nobody's, and then it goes */
        if (sent < 0) _exit(0);
    }
}

/* Starts the maker (SRG_NET_POOL namespaces ahead, at most POOL_MAX); 0 when none is wanted. */
static void pool_start(const char *self_path) {
    const char *want = getenv("SRG_NET_POOL");
    int n = want ? atoi(want) : 0;
    if (n <= 0) return;
    pool_target = n > POOL_MAX ? POOL_MAX : n;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        pool_target = 0;
        return;
    }
    maker_pid = fork();
    if (maker_pid == 0) {
        /* none of the launcher's descriptors: the server's pipes must end when the launcher does */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(70);
        if (dup3(pair[1], 3, O_CLOEXEC) != 3) _exit(70);
        if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
            for (int fd = 4; fd < 1024; fd++) close(fd);
        }
        maker(3, self_path);
    }
    close(pair[1]);
    if (maker_pid < 0) {
        close(pair[0]);
        pool_target = 0;
        return;
    }
    maker_sock = pair[0];
    if (pipe2(done_pipe, O_CLOEXEC | O_NONBLOCK) != 0) done_pipe[0] = done_pipe[1] = -1;
}

/* How long the launcher may sleep before the maker must be asked anyway (poll's timeout). */
static int pool_wait_ms(void) {
    if (maker_sock < 0 || not_done == 0 || pool_count + pool_asked >= pool_target) return -1;
    long long left = DONE_TIMEOUT_MS - (mono_ms() - last_launch_ms);
    return left < 0 ? 0 : (int)left;
}

/* Closes every descriptor from 3 on but a, b, c and d (-1: none). */
static void close_all_but(int a, int b, int c, int d) {
    int keep[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
    int from = 3;
    for (int i = 0; i < 4; i++) {
        if (keep[i] < from) continue;
        if (keep[i] > from && syscall(SYS_close_range, (unsigned)from, (unsigned)keep[i] - 1, 0U) != 0)
            for (int fd = from; fd < keep[i]; fd++) close(fd);
        from = keep[i] + 1;
    }
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0U) != 0)
        for (int fd = from; fd < 1024; fd++) close(fd);
}

static void pool_stop(const char *why) {
    if (maker_sock >= 0) close(maker_sock); /* the maker reads the end and exits */
    maker_sock = -1;
    pool_asked = 0;
    fprintf(stderr, "srg-supervisor --launcher: no more network namespaces made ahead: %s\n", why);
}

/* Asks the maker for what the pool lacks, once no launch is in its network step. */
static void pool_refill(void) {
    if (not_done > 0 && mono_ms() - last_launch_ms < DONE_TIMEOUT_MS) return;
    not_done = 0;
    while (maker_sock >= 0 && pool_count + pool_asked < pool_target) {
        if (send(maker_sock, "m", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
            pool_stop(strerror(errno));
            return;
        }
        pool_asked++;
    }
}

/* One answer of the maker into the pool; 1 for a namespace, 0 for none (why is written, and the
 * pool stops: a host that cannot make one ahead keeps today's path), -1 when the maker is gone. */
static int pool_receive(char *why, size_t why_room) {
    char text[256];
    int fd;
    if (recv_with_fd(maker_sock, text, sizeof text, 0, &fd) <= 0) {
        snprintf(why, why_room, "the maker is gone");
        pool_stop(why);
        return -1;
    }
    if (pool_asked > 0) pool_asked--;
    struct srg_pooled made = {fd, "", ""};
    if (text[0] == 'o' && fd >= 0 && sscanf(text, "o %15s %15s", made.link, made.address) == 2 && pool_count < POOL_MAX) {
        pool[pool_count++] = made;
        return 1;
    }
    if (fd >= 0) close(fd);
    snprintf(why, why_room, "%.150s", text[0] == 'e' && text[1] ? text + 2 : "an unexpected answer of the maker");
    pool_stop(why);
    return 0;
}

/*
 * Namespaces given back by supervisors (issue 17, tenth round; docs/networks.md): a task's namespace,
 * emptied of everything of its task (srg_net_recycle), for the next launch whose spec has the same
 * NET_REUSE key (its group and workspace, which the server writes). Unnamed like the made-ahead ones:
 * these descriptors are their only reference, so a launcher that dies takes them with it. At most
 * REUSE_MAX (the oldest goes first), none kept longer than REUSE_IDLE_MS: an idle server gives them
 * back to the kernel.
 */
#define REUSE_MAX 8
#define REUSE_IDLE_MS 5000
static struct { struct srg_pooled ns; char key[72]; long long since; } reuse[REUSE_MAX];
static int reuse_count, reuse_sock[2] = {-1, -1};

static void reuse_drop(int i) {
    close(reuse[i].ns.fd);
    memmove(reuse + i, reuse + i + 1, (size_t)(reuse_count - i - 1) * sizeof *reuse);
    reuse_count--;
}

static void reuse_expire(void) {
    while (reuse_count > 0 && mono_ms() - reuse[0].since >= REUSE_IDLE_MS) reuse_drop(0);
}

/* How long until the oldest one given back expires (poll's timeout; -1: none kept). */
static int reuse_wait_ms(void) {
    if (reuse_count == 0) return -1;
    long long left = REUSE_IDLE_MS - (mono_ms() - reuse[0].since);
    return left < 0 ? 0 : (int)left;
}

static void reuse_receive(void) {
    for (;;) {
        char text[256];
        int fd;
        if (recv_with_fd(reuse_sock[0], text, sizeof text, MSG_DONTWAIT, &fd) <= 0) return;
        if (fd < 0) continue;
        if (reuse_count == REUSE_MAX) reuse_drop(0);
        int i = reuse_count;
        reuse[i].ns.fd = fd;
        if (sscanf(text, "r %71s %15s %15s", reuse[i].key, reuse[i].ns.link, reuse[i].ns.address) != 3) {
            close(fd);
            continue;
        }
        reuse[i].since = mono_ms();
        reuse_count++;
    }
}

/* The NET_REUSE key of the instance's spec ("" when it has none). */
static void reuse_key(const char *dir, char *key, size_t room) {
    key[0] = 0;
    char *path = format("%s/spec", dir);
    char *spec = read_all(path, NULL);
    free(path);
    if (!spec) return;
    char *at = strstr(spec, "\nNET_REUSE='");
    if (at) {
        at += strlen("\nNET_REUSE='");
        size_t len = strcspn(at, "'\n");
        if (len < room) {
            memcpy(key, at, len);
            key[len] = 0;
        }
    }
    free(spec);
}

/*
 * Supervisors held (issue 17, twelfth round; docs/benchmarks.md "held ahead"): "h <dir>" forks the
 * instance's supervisor while the server's transaction that records the start commits; it takes
 * its session, stdio and command line, then waits on its end of a socket pair, before the run-once
 * link and anything else of the instance (so nothing of the task can run before the commit). "g <dir>"
 * (the commit's) sends it "g", with the namespace made ahead or given back that a fork would have
 * been given; "d <dir>" (a start that did not commit) closes the launcher's end, and so does the
 * launcher's exit (the server gone, or a kill): the supervisor reads the end and exits without
 * running anything. The launcher's end is the only one (close-on-exec, closed in every other child).
 */
#define HELD_MAX 64
static struct { char *dir; pid_t pid; int release; } held[HELD_MAX];
static int held_count;

static int held_find(const char *dir) {
    for (int i = 0; i < held_count; i++)
        if (strcmp(held[i].dir, dir) == 0) return i;
    return -1;
}

/* Forgets a held supervisor; its end closed (a drop: it exits without running), unless fd_kept. */
static void held_remove(int i, int fd_kept) {
    if (!fd_kept) close(held[i].release);
    free(held[i].dir);
    held[i] = held[--held_count];
}

/* A namespace for the supervisor of dir: one given back by a task of the same group and workspace
 * (the newest), else the oldest made ahead; fd -1: none. The launcher's copy is closed once passed,
 * so it is never handed out twice. */
static struct srg_pooled take_namespace(const char *dir) {
    struct srg_pooled taken = {-1, "", ""};
    char key[72] = "";
    reuse_expire();
    if (reuse_count > 0) reuse_key(dir, key, sizeof key);
    for (int i = reuse_count - 1; *key && i >= 0; i--) {
        if (strcmp(reuse[i].key, key) != 0) continue;
        taken = reuse[i].ns;
        memmove(reuse + i, reuse + i + 1, (size_t)(reuse_count - i - 1) * sizeof *reuse);
        reuse_count--;
        break;
    }
    if (taken.fd < 0 && pool_count > 0) {
        taken = pool[0];
        memmove(pool, pool + 1, (size_t)(pool_count - 1) * sizeof *pool);
        pool_count--;
    }
    return taken;
}

static int request_refused(const char *dir, const char *base) {
    size_t base_len = strlen(base);
    if (strncmp(dir, base, base_len) != 0 || dir[base_len] != '/' || strstr(dir, "/..") || strlen(dir) > 4000) {
        char reply[4200];
        snprintf(reply, sizeof reply, "f %s %d\n", dir, EINVAL);
        write_all(1, reply);
        return 1;
    }
    return 0;
}

/* Forks the supervisor of dir: running at once (hold 0, with the namespace taken), or held. */
static pid_t fork_supervisor(const char *self_path, const char *dir, struct srg_pooled taken, int release) {
    pid_t pid = fork();
    if (pid == 0) {
        /* nothing of the launcher's reaches the supervisor or its task: its descriptors (the
         * server's pipes, its signalfd, the other pooled namespaces, the other held supervisors'
         * ends) closed, its signal mask cleared, its stdio replaced; its own namespace's descriptor
         * and its end of the release kept, close-on-exec */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        /* all close-on-exec: the task never holds them */
        close_all_but(taken.fd, done_pipe[1], reuse_sock[1], release);
        pooled = taken;
        network_done = done_pipe[1];
        reuse_back = reuse_sock[1];
        int null = open("/dev/null", O_RDONLY);
        char *log = format("%s/supervisor.log", dir);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(70);
        if (null > 2) close(null);
        if (out > 2) close(out);
        size_t need = strlen(self_path) + 1 + strlen(dir) + 1;
        if (need <= cmdline_room) {
            memset(cmdline_area, 0, cmdline_room);
            memcpy(cmdline_area, self_path, strlen(self_path));
            memcpy(cmdline_area + strlen(self_path) + 1, dir, strlen(dir));
        } else if (release >= 0) {
            _exit(70); /* an exec'd supervisor would not wait: held ones never exec */
        } else {
            char *args[] = {(char *)self_path, (char *)dir, NULL};
            execv(self_path, args);
            _exit(70);
        }
        exit(supervise(dir, release));
    }
    return pid;
}

/* After a launch (a fork, or a held supervisor released): the answer, and the maker told to wait. */
static void launched(const char *dir, pid_t pid, int forked) {
    char reply[4200];
    if (pid > 0 && done_pipe[1] >= 0) {
        not_done++;
        last_launch_ms = mono_ms();
    }
    if (pid < 0) snprintf(reply, sizeof reply, "f %s %d\n", dir, forked);
    else snprintf(reply, sizeof reply, "s %s %d\n", dir, (int)pid);
    write_all(1, reply);
    pool_refill();
}

static void launch_one(const char *self_path, const char *base, const char *dir) {
    if (request_refused(dir, base)) return;
    struct srg_pooled taken = take_namespace(dir);
    pid_t pid = fork_supervisor(self_path, dir, taken, -1);
    int forked = errno;
    if (taken.fd >= 0) close(taken.fd); /* the supervisor's now, or nobody's (a failed fork): it goes */
    launched(dir, pid, forked);
}

/* "h <dir>": a supervisor forked and held until "g <dir>"; answered "s <dir> <pid>" or "f <dir> <errno>". */
static void hold_one(const char *self_path, const char *base, const char *dir) {
    if (request_refused(dir, base)) return;
    char reply[4200];
    int pair[2], at = held_find(dir);
    if (at >= 0) held_remove(at, 0); /* held twice: the first one goes */
    if (held_count == HELD_MAX || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        snprintf(reply, sizeof reply, "f %s %d\n", dir, held_count == HELD_MAX ? EBUSY : errno);
        write_all(1, reply);
        return;
    }
    struct srg_pooled none = {-1, "", ""};
    pid_t pid = fork_supervisor(self_path, dir, none, pair[1]);
    int forked = errno;
    close(pair[1]);
    if (pid < 0) {
        close(pair[0]);
        snprintf(reply, sizeof reply, "f %s %d\n", dir, forked);
    } else {
        held[held_count].dir = xstrdup(dir);
        held[held_count].pid = pid;
        held[held_count].release = pair[0];
        held_count++;
        snprintf(reply, sizeof reply, "s %s %d\n", dir, (int)pid);
    }
    write_all(1, reply);
}

/* "g <dir>": the held supervisor released, with its namespace; without one (never held, or gone
 * since: a launcher restarted, an exit), a supervisor forked as for "l <dir>". */
static void go_one(const char *self_path, const char *base, const char *dir) {
    int at = held_find(dir);
    if (at < 0) {
        launch_one(self_path, base, dir);
        return;
    }
    struct srg_pooled taken = take_namespace(dir);
    char text[64];
    snprintf(text, sizeof text, "g %s %s", taken.fd >= 0 ? taken.link : "-", taken.fd >= 0 ? taken.address : "-");
    pid_t pid = held[at].pid;
    ssize_t sent = send_with_fd(held[at].release, text, taken.fd, 0);
    held_remove(at, 0); /* its end closed: the supervisor has read "g" (or it is gone) */
    if (sent < 0) {
        /* it exited (EPIPE/ECONNRESET): a new one, with the same namespace */
        pid = fork_supervisor(self_path, dir, taken, -1);
    }
    int forked = errno;
    if (taken.fd >= 0) close(taken.fd);
    launched(dir, pid, forked);
}

/* "d <dir>": the held supervisor exits without running anything (no answer; its exit is "x"). */
static void drop_one(const char *dir) {
    int at = held_find(dir);
    if (at >= 0) held_remove(at, 0);
}

static int launcher(int argc, char **argv) {
    /* copies: a child writes its command line over argv's strings */
    const char *self_path = xstrdup(argv[0]), *base = xstrdup(argv[2]);
    cmdline_area = argv[0];
    cmdline_room = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
    signal(SIGPIPE, SIG_IGN);
    lower_priority(); /* before SIGCHLD is blocked: its probe is waited for here */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int children = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (children < 0) return 70;
    srg_net_preload();
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, reuse_sock) != 0) reuse_sock[0] = reuse_sock[1] = -1;
    /* the pool: its first namespace made before "ready", so the server can say whether it works */
    char why[200] = "";
    pool_start(self_path);
    pool_refill();
    if (maker_sock >= 0) {
        struct pollfd first = {maker_sock, POLLIN, 0};
        if (poll(&first, 1, 5000) == 1) {
            pool_receive(why, sizeof why);
        } else {
            snprintf(why, sizeof why, "the first one took over 5 s");
            pool_stop(why);
        }
    }
    pool_refill();
    char ready[300];
    snprintf(ready, sizeof ready, "ready %d %d %d%s%s\n", base_nice, getpriority(PRIO_PROCESS, 0),
             maker_sock >= 0 ? pool_target : 0, *why ? " " : "", why);
    write_all(1, ready);
    char buf[8192];
    size_t have = 0;
    for (;;) {
        struct pollfd fds[5] = {{0, POLLIN, 0}, {children, POLLIN, 0}, {maker_sock, POLLIN, 0}, {done_pipe[0], POLLIN, 0},
                                {reuse_sock[0], POLLIN, 0}};
        int wait_ms = pool_wait_ms(), expiry = reuse_wait_ms();
        if (wait_ms < 0 || (expiry >= 0 && expiry < wait_ms)) wait_ms = expiry;
        int ready_fds = poll(fds, 5, wait_ms);
        if (ready_fds == 0) pool_refill(); /* a supervisor did not say it was done: the maker goes on */
        if (ready_fds == 0) reuse_expire();
        /* before a launch read below: a namespace given back is there for it */
        if (ready_fds > 0 && fds[4].revents) reuse_receive();
        if (ready_fds < 0) {
            if (errno == EINTR) continue;
            return 70;
        }
        if (fds[1].revents) {
            struct signalfd_siginfo si;
            while (read(children, &si, sizeof si) == sizeof si) {}
            int status;
            pid_t pid;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == maker_pid) {
                    maker_pid = 0;
                    if (maker_sock >= 0) pool_stop("the maker exited");
                    continue;
                }
                for (int i = 0; i < held_count; i++)
                    if (held[i].pid == pid) {
                        held_remove(i, 0);
                        break;
                    }
                char line[64];
                snprintf(line, sizeof line, "x %d %d\n", (int)pid, status);
                write_all(1, line);
            }
        }
        if (maker_sock >= 0 && fds[2].revents) {
            pool_receive(why, sizeof why);
            pool_refill();
        }
        if (fds[3].revents) {
            char done[64];
            ssize_t n;
            while ((n = read(done_pipe[0], done, sizeof done)) > 0) not_done = not_done > n ? not_done - (int)n : 0;
            pool_refill();
        }
        if (fds[0].revents) {
            ssize_t n = read(0, buf + have, sizeof buf - have);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0; /* the server is gone; the supervisors are not its children */
            have += n;
            char *line = buf, *end;
            while ((end = memchr(line, '\n', buf + have - line))) {
                *end = 0;
                if (line[0] == 'l' && line[1] == ' ') launch_one(self_path, base, line + 2);
                else if (line[0] == 'h' && line[1] == ' ') hold_one(self_path, base, line + 2);
                else if (line[0] == 'g' && line[1] == ' ') go_one(self_path, base, line + 2);
                else if (line[0] == 'd' && line[1] == ' ') drop_one(line + 2);
                line = end + 1;
            }
            have = buf + have - line;
            memmove(buf, line, have);
            if (have == sizeof buf) return 70; /* a line longer than any request: not the server */
        }
    }
}

/*
 * A held supervisor (release >= 0; see hold_one) waits here for the launcher's "g", before anything
 * of its instance: no run-once link, no cgroup, no network. Anything else (the end: a drop, the
 * launcher's exit or kill, which closes its only other end) and it exits without running, 76.
 */
static void await_release(int release) {
    char text[64];
    int fd = -1;
    ssize_t n = recv_with_fd(release, text, sizeof text, 0, &fd);
    close(release);
    char link[16], address[16];
    if (n <= 0 || text[0] != 'g' || sscanf(text, "g %15s %15s", link, address) != 2) {
        if (fd >= 0) close(fd);
        _exit(76);
    }
    if (fd >= 0) {
        pooled.fd = fd;
        memcpy(pooled.link, link, sizeof link);
        memcpy(pooled.address, address, sizeof address);
    }
}

/* Why the launch failed, kept in memory too: on a full disk the launch_failed file may not be written,
 * and the task must not run all the same (without its network, say). */
static const char *launch_failed_why;

static void fail_launch(const char *why) {
    launch_failed_why = why;
    write_file("launch_failed", why, O_CREAT | O_TRUNC);
}

static int launch_failed(void) { return launch_failed_why || access("launch_failed", F_OK) == 0; }

static int supervise(const char *dir, int release) {
    /* signals first: a cancel (TERM) that arrives at any later moment is seen */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    setsid(); /* a session of its own: it outlives the server */
    umask(077);
    if (chdir(dir) != 0) return 70;
    if (release >= 0) await_release(release);
    char *spec = read_all("spec", NULL);
    if (!spec || parse_spec(spec) != 0) return 71;

    /* the run-at-most-once guard */
    pid_t self = getpid();
    unsigned long long ticks = 0;
    stat_fields(self, NULL, NULL, NULL, &ticks);
    char started_tmp[64], line[96];
    snprintf(started_tmp, sizeof started_tmp, "started.%d", (int)self);
    snprintf(line, sizeof line, "%d %llu\n", (int)self, ticks);
    if (write_file(started_tmp, line, O_CREAT | O_TRUNC) != 0) return 70;
    if (link(started_tmp, "started") != 0) {
        unlink(started_tmp);
        return 75;
    }
    unlink(started_tmp);

    char *started_at = epoch_text();
    limits_note = xstrdup(var("LIMITS_NOTE"));
    handle_signals();
    setup_cgroups();
    /* a task of its own uid not in an image gets a pid namespace of its own, and its init now (make_init) */
    if (*var("PRIVATE_SIZE") && !*var("IMAGE_ROOT") && access("cancel", F_OK) != 0) make_init();
    setup_pids();

    /* the task's network (SPEC NET-7..9; netns.sh, docs/networks.md) */
    const char *ns = var("NET_NS");
    char *net_dir = format("%s/net", dir);
    int has_net = 0, net_log = -1;
    struct srg_pooled back = {-1, "", ""}; /* the namespace unnamed for reuse, once the task has ended */
    if (*ns && access("cancel", F_OK) != 0) {
        net_log = open("net.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (srg_net_up(net_dir, ns, atol(var("NET_INDEX")), &pooled, net_log) == 0) {
            /* the image builder enters it itself, for the build script only (docs/images.md) */
            has_net = !*var("BUILDER");
        } else {
            size_t len = 0;
            char *log = read_all("net.log", &len);
            const char *tail = log ? (len > 300 ? log + len - 300 : log) : "";
            char *why = format("could not create the task's network namespace: %s\n", tail);
            for (char *c = why; *c; c++) if (*c == '\n' && c[1]) *c = ' ';
            fail_launch(why);
        }
    }
    if (pooled.fd >= 0) close(pooled.fd); /* not used (no network, or a cancel): it goes now */
    pooled.fd = -1;
    char *cap_text = xstrdup(var("OUTPUT_CAP"));
    output_note = format("output kept up to %s bytes", cap_text);
    handle_signals();
    if (access("cancel", F_OK) == 0) stop_reason = "CANCELLED";

    int task_rc = -1, task_done = 0;
    long long deadline = -1;
    if (!stop_reason && !launch_failed()) {
        int nenv = 0, nargv = 0;
        char **task_env = nul_list("env", 3, &nenv);
        char **task_argv = nul_list("argv", 0, &nargv);
        if (!task_env || !task_argv || nargv == 0) {
            fail_launch("cannot read the task's env or argv\n");
        } else {
            const char *uid = var("RUN_UID"), *gid = var("RUN_GID"), *image = var("IMAGE_ROOT");
            int builder = *var("BUILDER") != 0;
            if (builder) {
                /* the image builder (srg's own script) stays root and is told the task's uid and namespace */
                task_env[nenv++] = format("SRG_TASK_UID=%s", uid);
                task_env[nenv++] = format("SRG_TASK_GID=%s", gid);
                if (*ns && !launch_failed()) task_env[nenv++] = format("SRG_TASK_NETNS=/run/netns/%s", ns);
            }
            char **chain = task_argv;
            if (*image) {
                /* as the task's uid: the image as the read-only root, its home, /proc, a minimal /dev;
                 * its /tmp and /home (tmpfs) of at most its memory where this bubblewrap has --size
                 * (0.5 and later; an older one refuses it: the server tried at start) */
                char *rootfs = format("%s/rootfs", dir), *home = format("%s/home", dir);
                const char *size = var("IMAGE_TMP_SIZE");
                const char *e[] = {"bwrap", "--ro-bind", rootfs, "/", "--dev", "/dev", "--proc", "/proc", "--size", size, "--tmpfs", "/tmp",
                                   "--size", size, "--tmpfs", "/home", "--bind", home, "/home/task", "--ro-bind-try", "/etc/hosts", "/etc/hosts",
                                   "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf", "--unshare-pid", "--unshare-ipc",
                                   "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--setenv", "HOME",
                                   "/home/task", "--chdir", "/home/task", "--"};
                int n = 0, ne = sizeof e / sizeof *e;
                chain = calloc(ne + nargv + 1, sizeof *chain);
                if (!chain) return 70;
                for (int i = 0; i < ne; i++) {
                    if (strcmp(e[i], "--size") == 0 && !*size) { i++; continue; } /* and its value */
                    append(chain, &n, e[i]);
                }
                for (int i = 0; i < nargv; i++) append(chain, &n, task_argv[i]);
            }
            int pipefd[2];
            out_log = open("output.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (out_log < 0 || pipe2(pipefd, O_CLOEXEC) != 0) return 70;
            out_read = pipefd[0];
            out_cap = atoll(cap_text);
            fcntl(out_read, F_SETFL, O_NONBLOCK);
            /* job control: the task gets a process group of its own, killed as a group */
            /* a pid namespace of its own with its private directories (not in an image: bubblewrap's) */
            task = fork_task();
            if (ns_task >= 0 && task != 0) close(ns_task);
            if (ns_own >= 0 && task != 0) close(ns_own);
            ns_task = ns_own = -1;
            if (task == 0) exec_task(dir, chain, task_env, pipefd[1], ns, has_net, image, *uid && !builder, *var("PRIVATE_SIZE") != 0);
            if (task < 0) {
                fail_launch("cannot fork the task\n");
                task = 0;
            } else {
                setpgid(task, task);
            }
            /* the task says when it is done with its launch (just before its exec) */
            if (network_done >= 0) close(network_done);
            network_done = -1;
            /* only the task holds the pipe now: its end comes when the task's last process is gone */
            close(pipefd[1]);
            long long timeout = atoll(var("TIMEOUT_MS"));
            if (timeout > 0) deadline = mono_ms() + timeout;
            home_limit = atoll(var("HOME_LIMIT"));
            long long next_home = mono_ms() + HOME_CHECK_MS;
            char *home_dir = format("%s/home", dir);
            int pipe_open = 1;
            while (task > 0 && !stop_reason && !task_done) {
                int wait_ms = -1;
                if (deadline >= 0) {
                    long long left = deadline - mono_ms();
                    if (left <= 0) { stop_reason = "TIMEOUT"; break; }
                    wait_ms = left > 60000 ? 60000 : (int)left;
                }
                if (home_limit > 0) {
                    long long left = next_home - mono_ms();
                    if (left <= 0) {
                        /* its home over its limit: the task is killed, as one past its timeout (DISK_LIMIT) */
                        long long used = home_usage(home_dir);
                        if (used > home_peak) home_peak = used;
                        if (used > home_limit) { stop_reason = "DISK_LIMIT"; break; }
                        next_home = mono_ms() + HOME_CHECK_MS;
                        left = HOME_CHECK_MS;
                    }
                    if (wait_ms < 0 || left < wait_ms) wait_ms = (int)left;
                }
                struct pollfd fds[2] = {{sigfd, POLLIN, 0}, {pipe_open ? out_read : -1, POLLIN, 0}};
                if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) break;
                if (fds[1].revents) pipe_open = copy_output();
                handle_signals();
                int status;
                if (waitpid(task, &status, WNOHANG) == task) {
                    task_done = 1;
                    task_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
            }
        }
    }
    if (network_done >= 0) {
        /* no task was started (a cancel, a failed launch): the launch is over all the same */
        if (write(network_done, "d", 1) < 0) {} /* a full pipe: the launcher's timeout stands in */
        close(network_done);
        network_done = -1;
    }
    char *finished_at = epoch_text();
    if (stop_reason) task_rc = -1;
    /* leftovers (background children) die with the instance: they would hold its CUs after release */
    kill_tree();
    if (task > 0 && !task_done) while (waitpid(task, NULL, 0) < 0 && errno == EINTR) {}
    /* the task's first process reaped: the init's end (and its namespace's) can complete */
    if (init_pid > 0) while (waitpid(init_pid, NULL, 0) < 0 && errno == EINTR) {}
    if (out_read >= 0) {
        /* every writer is dead by now; one that escaped (or a process of another user the task gave
         * its descriptor to) would hold the pipe open: after 5 s the copy stops */
        long long until = mono_ms() + 5000;
        int open_ = 1;
        while (open_ && (open_ = copy_output())) {
            long long left = until - mono_ms();
            if (left <= 0) {
                char *n = format("%s; output copier stopped after 5 s (a process kept the task's output open)", limits_note);
                limits_note = n;
                break;
            }
            struct pollfd fd = {out_read, POLLIN, 0};
            poll(&fd, 1, (int)left);
        }
        close(out_read);
        if (out_dropped > 0) {
            char *note = format("\n[srg] output truncated: %lld bytes beyond the cap of %s bytes were not kept\n", out_dropped, cap_text);
            if (write(out_log, note, strlen(note)) < 0) {}
            output_note = format("output truncated: %lld bytes beyond the cap of %s bytes not kept", out_dropped, cap_text);
        }
        if (out_lost > 0) output_note = format("%s; %lld bytes of output not kept: the disk was full", output_note, out_lost);
        close(out_log);
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    /* the task's network goes with its last process, before the exit file says it ended */
    if (*ns) {
        /* reused by the next task of the same group and workspace when nothing of this one can be
         * left in it: every process of the task is gone (its cgroups held them), it ran as its own
         * uid (no capability in the namespace: it could change nothing of it), no resolver ran in
         * it; srg_net_recycle checks and empties the rest (docs/networks.md) */
        const char *key = var("NET_REUSE");
        const char *whynot = !*key ? NULL /* not asked for */ : !has_net ? "it was not the task's" : !contained ? "no cgroups held the task"
                             : reuse_back < 0 ? "no launcher to give it to" : !*var("RUN_UID") || *var("BUILDER") ? "the task ran as root" : NULL;
        if (whynot && net_log >= 0) dprintf(net_log, "not reused: %s\n", whynot);
        /* its name and policy rules go now; what is in it is checked after the exit file */
        if (!*key || whynot || srg_net_unname(ns, net_dir, &back, net_log) != 0) srg_net_down(ns, net_dir, contained, net_log);
    }

    char *cpu_ns = "", *peak = "", *oom = NULL;
    const char *version = var("CG_VERSION");
    if (limits_enforced && strcmp(version, "1") == 0) {
        char *p = format("%s/cpuacct.usage", var("CG_CPUACCT"));
        char *v = first_line(p);
        if (v) cpu_ns = v;
        p = format("%s/memory.max_usage_in_bytes", var("CG_MEMORY"));
        v = first_line(p);
        if (v) peak = v;
        oom = read_value(format("%s/memory.oom_control", var("CG_MEMORY")), "oom_kill");
    } else if (limits_enforced && strcmp(version, "2") == 0) {
        char *usec = read_value(format("%s/cpu.stat", var("CG_UNIFIED")), "usage_usec");
        if (usec) cpu_ns = format("%lld", atoll(usec) * 1000);
        char *v = first_line(format("%s/memory.peak", var("CG_UNIFIED")));
        if (v) peak = v;
        oom = read_value(format("%s/memory.events", var("CG_UNIFIED")), "oom_kill");
    }
    long long oom_kills = oom ? atoll(oom) : 0;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);

    const char *reason;
    char *failed = first_line("launch_failed");
    if (!failed && launch_failed_why) {
        failed = xstrdup(launch_failed_why);
        for (char *c = failed; *c; c++) if (*c == '\n') *c = 0;
    }
    if (stop_reason) {
        reason = stop_reason;
    } else if (failed) {
        reason = "LAUNCH_FAILED";
        limits_note = format("%s; launch failed: %s", limits_note, failed);
    } else if (task_rc > 0 && oom_kills > 0) {
        reason = "OUT_OF_MEMORY";
    } else if (task_rc > 0) {
        reason = "NON_ZERO_EXIT";
    } else {
        reason = "NONE";
    }
    /* what the task had of its own beyond its uid: the private directories, /proc, IPC (make_private) */
    char *private_text = NULL;
    if (*var("PRIVATE_SIZE") && *var("IMAGE_ROOT")) {
        private_text = image_private_note(var("IMAGE_TMP_SIZE"));
    } else if (*var("PRIVATE_SIZE")) {
        /* what the task's process wrote when something failed, else all of it was made */
        private_text = first_line("private_failed");
        if (!private_text) private_text = private_note(private_present(), var("PRIVATE_SIZE"), NULL, pid_why, NULL, NULL);
    }
    if (home_limit > 0 && stop_reason && strcmp(stop_reason, "DISK_LIMIT") == 0) {
        limits_note = format("%s; its home held %lld bytes, over its limit of %lld bytes: killed (DISK_LIMIT)", limits_note, home_peak, home_limit);
    } else if (home_limit > 0) {
        limits_note = format("%s; home at most %lld bytes, measured every %d s (the most seen: %lld bytes)", limits_note, home_limit,
                             HOME_CHECK_MS / 1000, home_peak);
    }
    char *isolation = private_text ? format("%s; %s", var("ISOLATION_NOTE"), private_text) : xstrdup(var("ISOLATION_NOTE"));
    char *note = format("%s; %s; %s; %s", limits_note, pids_note, isolation, output_note);
    for (char *c = note; *c; c++) if (*c == '\n') *c = ' ';
    char rc_text[16] = "";
    if (task_rc >= 0) snprintf(rc_text, sizeof rc_text, "%d", task_rc);
    char *exit_text = format("exit_code=%s\nreason=%s\nstarted_at=%s\nfinished_at=%s\ncpu_ns=%s\nchildren_user=%s\n"
                             "children_sys=%s\npeak_memory_bytes=%s\noom_kills=%lld\nlimits_enforced=%s\nlimits_note=%s\n",
                             rc_text, reason, started_at, finished_at, cpu_ns,
                             shell_time(ru.ru_utime.tv_sec, ru.ru_utime.tv_usec),
                             shell_time(ru.ru_stime.tv_sec, ru.ru_stime.tv_usec), peak, oom_kills,
                             limits_enforced ? "true" : "false", note);
    char exit_tmp[64];
    snprintf(exit_tmp, sizeof exit_tmp, "exit.%d", (int)self);
    /* A full disk must not lose the outcome: it is kept here and written again until it can be (every
     * 100 ms, doubling to 5 s). Meanwhile the server sees this supervisor alive (the instance RUNNING,
     * its CU held) and reads the exit file once it is there: the real exit, never LOST. */
    for (int delay = 100;;) {
        if (write_file(exit_tmp, exit_text, O_CREAT | O_TRUNC) == 0 && rename(exit_tmp, "exit") == 0) break;
        int e = errno;
        unlink(exit_tmp);
        if (e != ENOSPC && e != EDQUOT) return 70;
        sleep_ms(delay);
        if (delay < 5000) delay *= 2;
    }

    if (back.fd >= 0) {
        /* by a child, after the exit file: the server learns of the task's end when this process
         * exits, and the check may wait for an RCU grace period or two (srg's own sockets in it);
         * a child killed takes the namespace with it (its descriptor is the only reference) */
        pid_t helper = fork();
        if (helper == 0) {
            int given = srg_net_recycle(&back, net_log) == 0;
            if (given && !(given = reuse_give(var("NET_REUSE"), &back)) && net_log >= 0) dprintf(net_log, "not reused: the launcher is gone\n");
            if (given && net_log >= 0) dprintf(net_log, "given back to the launcher for the next task of its group and workspace\n");
            _exit(0);
        }
        close(back.fd); /* the child's now (or, if the fork failed, nobody's: the kernel removes it) */
        back.fd = -1;
    }
    if (reuse_back >= 0) close(reuse_back);
    reuse_back = -1;

    /* emptied cgroups can take a moment to go */
    for (int round = 0; round < 50; round++) {
        int left = 0;
        for (int i = 0; i < ncgroups; i++)
            if (rmdir(cgroup_dirs[i]) != 0 && errno != ENOENT) left = 1;
        if (!left) break;
        sleep_ms(20);
    }
    return 0;
}
