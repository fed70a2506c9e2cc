# Sourced by the bench scripts: their temporary directory, and the clean-up of those whose run died.
#
# Each script removes its directory in an EXIT trap, but a run killed with SIGKILL (a `timeout -s
# KILL`, an OOM kill) never runs its trap, and leaves its directory (an embedded PostgreSQL's data,
# ~180 MB) and possibly its server and PostgreSQL behind. So every directory records the pid of the
# script that made it, and the next run removes those whose script is gone, after stopping what
# still runs from them. Runs still going (their script alive) are left alone.

# bench_workdir PREFIX: sweeps dead runs' directories, makes a new one, prints its path.
bench_workdir() {
  local prefix=$1 dir owner pid place
  for dir in /tmp/srg-bench*.??????; do
    [[ -d $dir ]] || continue
    owner=$(cat "$dir/.owner" 2>/dev/null) || owner=
    # a directory without an owner file is either being made now or from before this file: keep
    # the fresh ones (an hour is longer than any run)
    [[ -z $owner ]] && [[ -n $(find "$dir" -maxdepth 0 -mmin -60) ]] && continue
    [[ -n $owner ]] && kill -0 "$owner" 2>/dev/null && continue
    # what still runs from it (server, PostgreSQL, supervisors, service workers) and from its
    # server's runtime directory, when that was elsewhere (RuntimeDirectory.java)
    local places=("$dir") runtime
    for runtime in $(find "$dir" -maxdepth 3 -name RUNTIME-DIRECTORY -exec cat {} + 2>/dev/null); do
      [[ $runtime == /var/lib/srg/* ]] && places+=("$runtime")
    done
    # SIGTERM first: a supervisor takes it as a cancel and removes its task's network namespace and
    # host rules (SIGKILL would leave them); what still runs 5 s later gets SIGKILL
    local pids=() i
    for place in "${places[@]}"; do
      for pid in $(grep -lsF "$place/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
        [[ $pid == "$$" || $pid == "$BASHPID" ]] || pids+=("$pid")
      done
    done
    if (( ${#pids[@]} )); then
      kill -TERM "${pids[@]}" 2>/dev/null
      for i in $(seq 50); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        (( alive )) || break
        sleep 0.1
      done
      kill -KILL "${pids[@]}" 2>/dev/null
    fi
    echo "bench: removing ${places[*]}, left by a run that died" >&2
    rm -rf "${places[@]}"
  done
  dir=$(mktemp -d "/tmp/$prefix.XXXXXX") || return 1
  echo $$ > "$dir/.owner"
  echo "$dir"
}
