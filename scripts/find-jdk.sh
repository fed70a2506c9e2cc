# Sourced by ./srg and ./run-tests: exports JAVA_HOME pointing at a JDK 21 or newer.
# Order: $JAVA_HOME, the java on PATH, then the JDKs installed in the usual places.

srg_java_major() { # prints the major version of the java binary $1, or nothing
  # a JDK's release file says it without starting a JVM (each start costs what a whole CLI call
  # should: issue 17); the JVM is asked only when the file is missing
  local release
  release="$(dirname "$(dirname "$1")")/release"
  if [ -r "$release" ]; then
    sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9]*\).*/\1/p' "$release" | head -1
    return
  fi
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

srg_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /opt/*jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(srg_java_major "$c/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export JAVA_HOME="$c"
      # Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about on every build
      if [ "$major" -ge 24 ]; then
        export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
      fi
      return 0
    fi
  done
  cat >&2 <<'MSG'
srg needs a JDK 21 or newer and found none (looked at $JAVA_HOME, javac on PATH, /usr/lib/jvm,
/usr/java, /opt, ~/.sdkman and ~/.jdks). Install one, then run this again:
  Debian/Ubuntu:  sudo apt-get install openjdk-21-jdk-headless   (or temurin-21-jdk from Adoptium)
  any Linux:      sdk install java 21-tem                         (https://sdkman.io)
or point JAVA_HOME at an existing JDK 21+:  JAVA_HOME=/path/to/jdk ./srg ...
MSG
  return 1
}
