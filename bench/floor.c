/*
 * The floor: starts the benchmark's tasks directly, with no scheduler, no database and no
 * supervisor — fork, (join a cgroup), exec bash on the task's script, wait. What srg and Slurm add
 * on top of this is their overhead; this is the physical limit of starting a bash task here.
 *
 *   floor throughput N PARALLEL SCRIPT
 *       runs N tasks, at most PARALLEL at a time, output to /dev/null; prints
 *       "tasks=N failed=F seconds=S tasks_per_second=R"
 *   floor latency N SCRIPT OUTDIR [CGROUP_DIR...]
 *       one task at a time: takes the time, (creates a fresh cgroup under each CGROUP_DIR and
 *       writes its limits), forks, (the child joins the cgroups), execs bash SCRIPT with its
 *       output in OUTDIR/<i>.log, waits; prints one latency a line, in ms: from the time taken
 *       to the first line the task printed (its $EPOCHREALTIME). FLOOR_GAP_MS (env): idle time
 *       between two tasks. Limits (env): FLOOR_CG_VERSION 1 or 2, FLOOR_MEM_BYTES,
 *       FLOOR_CPU_QUOTA_US, FLOOR_CPU_PERIOD_US.
 *   floor isolated N PARALLEL SCRIPT UID [CGROUP_DIR...]
 *       as throughput, but each task isolated the way the kernel charges srg for it: a fresh
 *       cgroup under each CGROUP_DIR with its limits (the env above), joined by the child, a
 *       network namespace of its own with its loopback up, and a user of its own (UID + its
 *       slot, no supplementary groups); the cgroups are removed when the task ends. What srg does
 *       on top (the veth pair, addresses, routes, nftables rules, its files, its database) is
 *       not here: this is the floor for a task isolated as srg isolates it, not srg.
 *
 * Build: gcc -O2 -o floor floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static char *const task_env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                 "HOME=/tmp", "LANG=C.UTF-8", NULL};

static double now_epoch(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

static int write_file(const char *dir, const char *name, const char *value) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* the child's side of an isolated task: its network namespace with loopback up, then its user */
static void isolate(uid_t uid) {
    if (unshare(CLONE_NEWNET) != 0) {
        perror("unshare(CLONE_NEWNET)");
        _exit(126);
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) _exit(126);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) _exit(126);
    close(fd);
    if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
        perror("setuid");
        _exit(126);
    }
}

static pid_t spawn(const char *script, const char *output, char **cgroups, int ncgroups, uid_t uid) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        char self[32];
        snprintf(self, sizeof self, "%d", getpid());
        for (int i = 0; i < ncgroups; i++) {
            if (write_file(cgroups[i], "cgroup.procs", self) != 0) {
                perror("join cgroup");
                _exit(126);
            }
        }
        if (uid != 0) isolate(uid);
        int in = open("/dev/null", O_RDONLY);
        int out = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execle("/bin/bash", "bash", script, (char *)NULL, task_env);
        _exit(127);
    }
    return pid;
}

static int throughput(int n, int parallel, const char *script) {
    int running = 0, started = 0, failed = 0;
    double t0 = now_mono();
    while (started < n || running > 0) {
        while (started < n && running < parallel) {
            spawn(script, "/dev/null", NULL, 0, 0);
            started++;
            running++;
        }
        int status;
        if (wait(&status) < 0) die("wait");
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    double seconds = now_mono() - t0;
    printf("tasks=%d failed=%d seconds=%.3f tasks_per_second=%.2f\n", n, failed, seconds, n / seconds);
    return failed == 0 ? 0 : 1;
}

static int make_cgroup(const char *path, const char *version) {
    if (mkdir(path, 0755) != 0) return -1;
    const char *mem = getenv("FLOOR_MEM_BYTES"), *quota = getenv("FLOOR_CPU_QUOTA_US"),
               *period = getenv("FLOOR_CPU_PERIOD_US");
    char buf[64];
    if (strcmp(version, "2") == 0) {
        if (write_file(path, "memory.max", mem) != 0) return -1;
        snprintf(buf, sizeof buf, "%s %s", quota, period);
        return write_file(path, "cpu.max", buf);
    }
    /* v1: the memory or the cpu hierarchy, told apart by its files */
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/memory.limit_in_bytes", path);
    if (access(probe, F_OK) == 0) return write_file(path, "memory.limit_in_bytes", mem);
    snprintf(probe, sizeof probe, "%s/cpu.cfs_quota_us", path);
    if (access(probe, F_OK) == 0) {
        if (write_file(path, "cpu.cfs_period_us", period) != 0) return -1;
        return write_file(path, "cpu.cfs_quota_us", quota);
    }
    return 0;
}

/* A fresh cgroup for task i under each parent, with its limits, into cgroups[]. */
static void make_task_cgroups(char **cgroups, char **parents, int nparents, int i, const char *version) {
    for (int c = 0; c < nparents; c++) {
        if (asprintf(&cgroups[c], "%s/floor-%d-%d", parents[c], getpid(), i) < 0) die("asprintf");
        if (make_cgroup(cgroups[c], version) != 0) die(cgroups[c]);
    }
}

/* Removes a task's cgroups once it has ended (an emptied cgroup can take a moment to be removable). */
static void remove_task_cgroups(char **cgroups, int ncgroups) {
    for (int c = 0; c < ncgroups; c++) {
        for (int round = 0; round < 100 && rmdir(cgroups[c]) != 0 && errno == EBUSY; round++) usleep(1000);
        free(cgroups[c]);
    }
}

static int limits_env_missing(void) {
    if (getenv("FLOOR_CG_VERSION") && getenv("FLOOR_MEM_BYTES") && getenv("FLOOR_CPU_QUOTA_US")
        && getenv("FLOOR_CPU_PERIOD_US")) return 0;
    fprintf(stderr, "floor: cgroups need FLOOR_CG_VERSION, FLOOR_MEM_BYTES, FLOOR_CPU_QUOTA_US, FLOOR_CPU_PERIOD_US\n");
    return 1;
}

static int latency(int n, const char *script, const char *outdir, char **parents, int nparents) {
    if (nparents > 0 && limits_env_missing()) return 2;
    const char *version = getenv("FLOOR_CG_VERSION");
    const char *gap = getenv("FLOOR_GAP_MS");
    char *cgroups[8];
    char output[4096];
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (gap && i > 0) usleep(atoi(gap) * 1000);
        snprintf(output, sizeof output, "%s/%d.log", outdir, i);
        double t0 = now_epoch();
        make_task_cgroups(cgroups, parents, nparents, i, version);
        pid_t pid = spawn(script, output, cgroups, nparents, 0);
        int status;
        if (waitpid(pid, &status, 0) < 0) die("waitpid");
        remove_task_cgroups(cgroups, nparents);
        FILE *f = fopen(output, "r");
        double started;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !f || fscanf(f, "%lf", &started) != 1) {
            failed++;
        } else {
            printf("%.3f\n", (started - t0) * 1000);
        }
        if (f) fclose(f);
    }
    fflush(stdout);
    if (failed) fprintf(stderr, "floor: %d task(s) failed or printed nothing\n", failed);
    return failed == 0 ? 0 : 1;
}

static int isolated(int n, int parallel, const char *script, uid_t uid0, char **parents, int nparents) {
    if (nparents > 0 && limits_env_missing()) return 2;
    if (parallel > 64) parallel = 64;
    const char *version = getenv("FLOOR_CG_VERSION");
    pid_t slot_pid[64] = {0};
    char *slot_cgroups[64][8];
    int running = 0, started = 0, failed = 0;
    double t0 = now_mono();
    while (started < n || running > 0) {
        for (int slot = 0; slot < parallel && started < n; slot++) {
            if (slot_pid[slot] != 0) continue;
            make_task_cgroups(slot_cgroups[slot], parents, nparents, started, version);
            slot_pid[slot] = spawn(script, "/dev/null", slot_cgroups[slot], nparents, uid0 + slot);
            started++;
            running++;
        }
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) die("wait");
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
        for (int slot = 0; slot < parallel; slot++) {
            if (slot_pid[slot] != pid) continue;
            slot_pid[slot] = 0;
            remove_task_cgroups(slot_cgroups[slot], nparents);
        }
    }
    double seconds = now_mono() - t0;
    printf("tasks=%d failed=%d seconds=%.3f tasks_per_second=%.2f\n", n, failed, seconds, n / seconds);
    return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "throughput") == 0) {
        return throughput(atoi(argv[2]), atoi(argv[3]), argv[4]);
    }
    if (argc >= 5 && strcmp(argv[1], "latency") == 0 && argc - 5 <= 8) {
        return latency(atoi(argv[2]), argv[3], argv[4], argv + 5, argc - 5);
    }
    if (argc >= 6 && strcmp(argv[1], "isolated") == 0 && argc - 6 <= 8 && atoi(argv[5]) > 0) {
        return isolated(atoi(argv[2]), atoi(argv[3]), argv[4], (uid_t)atoi(argv[5]), argv + 6, argc - 6);
    }
    fprintf(stderr, "usage: floor throughput N PARALLEL SCRIPT | floor latency N SCRIPT OUTDIR [CGROUP_DIR...]"
                    " | floor isolated N PARALLEL SCRIPT UID [CGROUP_DIR...]\n");
    return 2;
}
