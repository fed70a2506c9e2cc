# Sourced by ./run-tests (and so by .ci/run): installs from Debian's packages what the tests use
# and the machine lacks -- a fresh Debian machine, as root, then runs the whole suite rather than
# skipping what it cannot do. Without root or apt-get nothing is installed, and the tests that need
# a missing tool say so and skip (SRG_NO_INSTALL=1 skips the installation too).
srg_install_test_packages() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "${SRG_NO_INSTALL:-}" ] || return 0
  local need=() updated policy made_policy
  export DEBIAN_FRONTEND=noninteractive
  command -v python3 >/dev/null || need+=(python3)
  command -v setpriv >/dev/null || need+=(util-linux)
  # the crash tests signal processes with kill(1) (SIGKILL, SIGSTOP); bash's builtin is not an executable;
  # PrivateDirectoriesTest's tasks list their processes with ps (both procps), their IPC (ipcmk, ipcs) and
  # their mounts (findmnt) with util-linux's tools, which setpriv above brings
  { [ -x /bin/kill ] || [ -x /usr/bin/kill ]; } && command -v ps >/dev/null || need+=(procps)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  # a real Prometheus text-format parser for the /metrics test (MetricsApiTest)
  /usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 || need+=(python3-prometheus-client)
  # the console's browser tests drive Debian's chromium (Playwright never downloads a browser)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # the console's accessibility test fetches axe-core (pinned) with npm's own client, once into
  # app/target/axe (ConsoleAccessibilityBrowserTest); a machine with Node.js's npm keeps its own
  command -v npm >/dev/null || need+=(npm)
  # task networks (docs/networks.md): namespaces and veths (iproute2), the rules (nftables), the
  # task's resolver (dnsmasq; also the DNS upstream of the network tests' own test hosts)
  command -v ip >/dev/null || need+=(iproute2)
  command -v nft >/dev/null || need+=(nftables)
  command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
  # custom images (docs/images.md): root file systems from the Debian archive (mmdebstrap), tasks
  # and build scripts in them (bubblewrap); ImageApiTest builds one image from the archive
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  command -v bwrap >/dev/null || need+=(bubblewrap)
  # the compiled task supervisor (app/src/main/c, scripts/build-supervisor.sh): a C compiler and
  # libc's headers (without them the build falls back to supervisor.sh)
  command -v gcc >/dev/null || need+=(gcc)
  [ -e /usr/include/stdio.h ] || need+=(libc6-dev)
  updated=false
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing what the tests use from Debian's packages: ${need[*]}" >&2
    apt-get update -qq || return 1
    updated=true
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || return 1
  fi

  # MariaDB for the sync and DataService tests (docs/data-integration.md): they start their own mariadbd in a
  # temporary directory (TestMariaDb), so the package's own service is kept from starting
  if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
    echo "installing what the tests use from Debian's packages: mariadb-server mariadb-client" >&2
    $updated || apt-get update -qq || return 1
    policy=/usr/sbin/policy-rc.d
    made_policy=false
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy"
      chmod 755 "$policy"
      made_policy=true
    fi
    apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null || { $made_policy && rm -f "$policy"; return 1; }
    if $made_policy; then rm -f "$policy"; fi
  fi
}
