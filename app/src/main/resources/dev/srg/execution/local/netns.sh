#!/bin/bash
# srg task network (SPEC NET-7, NET-8, NET-9): one network namespace per task, run by the
# supervisor as root. See docs/networks.md.
#   netns.sh up <netdir> <netns> <index>   creates the namespace "<netns>", a veth pair (host side
#            srgt<hex>, task side eth0) with the task's address 100.64.0.0/10 + index (the next free
#            index on a clash), loads <netdir>/rules.nft into the namespace; writes <netdir>/link;
#            adds the host's policy rules "iif <link> lookup <table>" for each table in <netdir>/tables
#            (the bound VPCs' routing tables); starts the task's resolver (dnsmasq) in the namespace
#            when <netdir>/dnsmasq.conf exists
#   netns.sh down <netns> [<netdir>]       kills what is left in the namespace (the resolver), deletes
#            it (and so its veth pair and rules) and the link's policy rules
#   netns.sh enter <netdir> -- CMD...       (already inside the namespace and a mount namespace of its
#            own) bind-mounts the task's hosts and resolv.conf over /etc's, then runs CMD
set -u

down() { # netns [netdir]
  local ns=$1 netdir=$2 link= p
  if [[ -n $netdir && -r $netdir/link ]]; then
    read -r link _ < "$netdir/link"
    while ip -4 rule del priority 9000 iif "$link" 2>/dev/null; do :; done
  fi
  [[ -e /run/netns/$ns ]] || return 0
  # a process left in it (the resolver, a daemon of its own session) would keep it alive unnamed
  local left round
  for round in {1..100}; do
    left=$(ip netns pids "$ns")
    [[ -z $left ]] && break
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    sleep 0.02
  done
  ip netns del "$ns"
}

case $1 in
  up)
    netdir=$2 ns=$3 index=$4
    ip netns add "$ns" || exit 1
    link=
    for try in {0..63}; do
      i=$(( (index + try) % 4194300 + 2 ))
      printf -v candidate 'srgt%x' "$i"
      if ip link add "$candidate" type veth peer name eth0 netns "$ns" 2>/dev/null; then link=$candidate; break; fi
    done
    if [[ -z $link ]]; then ip netns del "$ns"; echo "no free task link" >&2; exit 1; fi
    addr=$(( 64 + (i >> 16) )).$(( (i >> 8) & 255 )).$(( i & 255 ))
    addr=100.$addr
    printf '%s %s\n' "$link" "$addr" > "$netdir/link"
    # the host side: the gateway address (the same on every task link) and a route to the task
    ip -batch - <<IP || { ip netns del "$ns"; exit 1; }
link set $link up
addr add 100.64.0.1/32 dev $link
route add $addr/32 dev $link
IP
    ip -n "$ns" -batch - <<IP || { ip netns del "$ns"; exit 1; }
link set lo up
addr add $addr/32 dev eth0
link set eth0 up
route add 100.64.0.1/32 dev eth0 scope link
route add default via 100.64.0.1 dev eth0
IP
    # Refusals are ICMP admin-prohibited, answered at once: the namespace's own ICMP rate limit
    # would otherwise make every second refusal wait for a SYN retry. No IPv6 in a task's network.
    nsenter "--net=/run/netns/$ns" bash -c 'echo 0 > /proc/sys/net/ipv4/icmp_ratelimit
      [[ -e /proc/sys/net/ipv6/conf/all/disable_ipv6 ]] && echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
      exec nft -f "$1"' netns "$netdir/rules.nft" || { ip netns del "$ns"; exit 1; }
    # The host's policy rules: a VPC's own routing table first (overlapping CIDRs of different VPCs
    # reach different hosts), then the main table. A rule left by a dead task of the same link name
    # would apply to this one: removed first.
    while ip -4 rule del priority 9000 iif "$link" 2>/dev/null; do :; done
    if [[ -s $netdir/tables ]]; then
      while read -r table; do
        ip -4 rule add priority 9000 iif "$link" lookup "$table" || { down "$ns" "$netdir"; exit 1; }
      done < "$netdir/tables"
    fi
    # The task's resolver, on its own loopback: it daemonizes once listening (or fails here).
    if [[ -e $netdir/dnsmasq.conf ]]; then
      nsenter "--net=/run/netns/$ns" dnsmasq "--conf-file=$netdir/dnsmasq.conf" || { down "$ns" "$netdir"; exit 1; }
    fi
    ;;
  down)
    down "$2" "${3:-}"
    ;;
  enter)
    netdir=$2
    shift 3
    mount --bind "$netdir/hosts" /etc/hosts || exit 1
    if [[ -e /etc/resolv.conf ]]; then
      mount --bind "$netdir/resolv.conf" "$(readlink -f /etc/resolv.conf)" || exit 1
    fi
    exec "$@"
    ;;
  *) echo "usage: netns.sh up|down|enter ..." >&2; exit 64 ;;
esac
