#!/usr/bin/env bash
# Compiles the task supervisor (app/src/main/c/srg-supervisor.c) into OUT; run by the Maven build
# (app/pom.xml, process-classes) so that the binary goes into the jar beside supervisor.sh.
#   scripts/build-supervisor.sh SOURCE OUT
# Without a C compiler it says so and leaves OUT absent: srg then starts tasks through the bash
# supervisor (same guarantees, more process starts per task; docs/benchmarks.md). ./run-tests
# installs gcc (scripts/test-packages.sh), so the tests run the compiled one.
set -euo pipefail
src=$1 out=$2
cc=${CC:-}
if [[ -z $cc ]]; then
  for c in gcc cc; do command -v "$c" >/dev/null 2>&1 && { cc=$c; break; }; done
fi
rm -f "$out"
if [[ -z $cc ]]; then
  echo "build-supervisor: no C compiler (gcc, cc): the jar has no compiled supervisor; tasks will start through supervisor.sh" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
# the supervisor and the other sources beside it (srg-netns.c: the task's network); libnftables is
# opened at run time (dlopen), so the binary needs nothing the host may not have
sources=("$src")
for f in "$(dirname "$src")"/*.c; do [[ $f -ef $src ]] || sources+=("$f"); done
# warnings fail the build where the tests run (./run-tests sets SRG_STRICT_C=1, with Debian 12's gcc);
# a user's newer compiler may warn about what this one does not, and that must not cost the binary
strict=()
[[ ${SRG_STRICT_C:-} == 1 ]] && strict=(-Werror)
"$cc" -O2 -Wall -Wextra "${strict[@]}" -o "$out.tmp" "${sources[@]}" -ldl
mv "$out.tmp" "$out"
