/*
 * Issue 17, tenth round (docs/benchmarks.md, "The task's network namespace reused"): the task network's steps in a
 * loop, to profile their CPU without a server: make + claim + remove ("full"), claim + unname +
 * recycle of one namespace ("reuse"), make only, an empty namespace. As root:
 *   gcc -O2 -o /tmp/netns-harness bench/netns-profile/harness.c app/src/main/c/srg-netns.c -ldl
 *   perf record -a -g -F 2000 -o /tmp/p.data -- /tmp/netns-harness full 300
 *   perf script -i /tmp/p.data -F comm,pid,tid,time,ip,sym > /tmp/p.txt
 *   bench/netns-profile/classify.py "^harness" /tmp/p.txt 2000 300; bench/netns-profile/classify.py "^(kworker|rcu|ksoftirq)" /tmp/p.txt 2000 300
 * It writes /tmp/nsr12-h/net/ (rules like bench/run's group) and names namespaces srg-nsr12h-<i>.
 */
#define _GNU_SOURCE
#include "../../app/src/main/c/srg-netns.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
int srg_task_priority(void) { return 0; }
static long long ms_cpu(void) { /* whole machine non-idle, ms */
  FILE *f = fopen("/proc/stat", "r"); unsigned long long a[10]; 
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &a[0],&a[1],&a[2],&a[3],&a[4],&a[5],&a[6]) != 7) exit(2);
  fclose(f); long hz = sysconf(_SC_CLK_TCK); return (long long)((a[0]+a[1]+a[2]+a[5]+a[6]) * 1000 / hz); }
static double self_ms(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); struct rusage c; getrusage(RUSAGE_CHILDREN,&c);
  return (r.ru_utime.tv_sec+r.ru_stime.tv_sec+c.ru_utime.tv_sec+c.ru_stime.tv_sec)*1000.0 + (r.ru_utime.tv_usec+r.ru_stime.tv_usec+c.ru_utime.tv_usec+c.ru_stime.tv_usec)/1000.0; }
static double now_ms(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1000.0+t.tv_nsec/1e6;}
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: harness empty|make|full|new|reuse N\n"); return 2; }
  const char *mode = argv[1]; int n = atoi(argv[2]);
  const char *dir = "/tmp/nsr12-h"; mkdir(dir, 0700);
  char netdir[256]; snprintf(netdir, sizeof netdir, "%s/net", dir); mkdir(netdir, 0700);
  FILE *f = fopen("/tmp/nsr12-h/net/rules.nft", "w");
  fputs("table inet srg_task {\n  chain output {\n    type filter hook output priority 0; policy drop;\n    oifname \"lo\" accept\n    ip daddr 21.0.0.0/8 reject with icmp type admin-prohibited\n    ip daddr 100.64.0.0/10 reject with icmp type admin-prohibited\n    ip daddr { 10.250.0.0/16 } accept\n    reject with icmp type admin-prohibited\n  }\n  chain input {\n    type filter hook input priority 0; policy drop;\n    iifname \"lo\" accept\n    ct state established,related accept\n  }\n}\n", f); fclose(f);
  f = fopen("/tmp/nsr12-h/net/tables", "w"); fputs("1234567\n", f); fclose(f);
  srg_net_preload();
  sleep(1);
  long long c0 = ms_cpu(); double s0 = self_ms(), t0 = now_ms();
  for (int i = 0; i < n; i++) {
    if (!strcmp(mode, "empty")) { int h = open("/proc/self/ns/net", O_RDONLY); unshare(CLONE_NEWNET); setns(h, CLONE_NEWNET); close(h); }
    else if (!strcmp(mode, "make")) { struct srg_pooled p; if (srg_net_make(random()%4194300, &p, 2)) return 1; close(p.fd); }
    else if (!strcmp(mode, "reuse")) {
      static struct srg_pooled p = {-1,"",""};
      if (p.fd < 0 && srg_net_make(random()%4194300, &p, 2)) return 1;
      char ns[64]; snprintf(ns, sizeof ns, "srg-nsr12h-%d", i);
      if (srg_net_up(netdir, ns, random()%4194300, &p, 2)) return 1;
      { struct timespec t = {0, 20000000}; nanosleep(&t, NULL); } /* the task */
      if (srg_net_unname(ns, netdir, &p, 2) || srg_net_recycle(&p, 2)) { fprintf(stderr, "not recycled\n"); return 1; }
      if (i == n - 1) close(p.fd);
    }
    else if (!strcmp(mode, "full") || !strcmp(mode, "new")) {
      struct srg_pooled p = {-1,"",""};
      if (!strcmp(mode, "full") && srg_net_make(random()%4194300, &p, 2)) return 1;
      char ns[64]; snprintf(ns, sizeof ns, "srg-nsr12h-%d", i);
      if (srg_net_up(netdir, ns, random()%4194300, &p, 2)) return 1;
      srg_net_down(ns, netdir, 1, 2);
    }
  }
  double s1 = self_ms(), t1 = now_ms();
  sleep(3); long long c2 = ms_cpu();
  sleep(3); long long c3 = ms_cpu();
  double idle = (c3 - c2) / 3.0; /* background per second */
  double wall = (t1 - t0) / 1000.0 + 3;
  printf("%s n=%d: self %.3f ms/it, machine(loop+3s settle, minus background %.0f ms/s) %.3f ms/it, wall %.3f ms/it\n",
    mode, n, (s1-s0)/n, idle, ((c2-c0) - idle*wall)/n, (t1-t0)/n);
  return 0;
}
