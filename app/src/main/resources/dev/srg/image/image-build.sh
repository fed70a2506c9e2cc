#!/bin/bash
# srg image builder (SPEC RT-1; docs/images.md). The IMAGE_BUILD task: run by the supervisor as
# root (it installs packages into a new root file system), inside the task's cgroups (its CU) and
# with its timeout, in the host's network (the Debian archive is srg's, not the task's, like a
# container runtime pulling an image); the build script, the user's code, never runs as root:
# as the task's own uid, root only inside a user namespace of its own, with the image as its root
# (bubblewrap), in the group's network namespace.
#
# Inputs (environment): SRG_IMAGE_ID, SRG_IMAGES (the images directory), SRG_IMAGE_BASE (a Debian
# suite, or the id of the image to layer on), SRG_IMAGE_MIRROR, SRG_IMAGE_CACHE (base cache),
# SRG_IMAGE_MAX_BYTES, SRG_INSTANCE_ID; SRG_TASK_UID, SRG_TASK_GID, SRG_TASK_NETNS from the
# supervisor. Files in the working directory: packages (one a line), build-script.sh.
#
# Nothing half-made: everything happens in <images>/.tmp-<id>-<instance>, renamed to <images>/<id>
# only when complete; a failure removes it, a kill leaves it to the server's sweep (its name says
# which build it was). Mounts only ever happen in private mount namespaces, so a killed build
# leaves none behind.
set -euo pipefail
umask 022
say() { printf '[srg] %s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() { say "build failed: $*"; exit 1; }

id=$SRG_IMAGE_ID
images=$SRG_IMAGES
final=$images/$id
stage=$images/.tmp-$id-$SRG_INSTANCE_ID
work=$PWD
sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
started=$EPOCHREALTIME

if [[ -d $final ]]; then
  say "image $id is already built"
  exit 0
fi
mkdir -p "$images"
chmod 0700 "$images"
rm -rf --one-file-system "$stage"
mkdir "$stage"
trap 'rc=$?; if (( rc != 0 )); then rm -rf --one-file-system "$stage"; fi' EXIT

# A minbase root file system of the suite, made once a day and shared by the builds of that day
# (under a lock: the second build waits for the first, then copies).
base_root() {
  local suite=$1 key dir tmp lock
  key=$suite-slim-$(date -u +%Y-%m-%d)
  dir=$SRG_IMAGE_CACHE/$key
  mkdir -p "$SRG_IMAGE_CACHE"
  chmod 0700 "$SRG_IMAGE_CACHE"
  exec {lock}> "$SRG_IMAGE_CACHE/.lock-$key"
  flock "$lock"
  if [[ ! -d $dir/root ]]; then
    tmp=$SRG_IMAGE_CACHE/.tmp-$key-$$
    # under the lock: what is there is from a build that was killed
    rm -rf --one-file-system "$SRG_IMAGE_CACHE/.tmp-$key-"*
    mkdir -p "$tmp"
    say "making the base $suite (minbase, without docs) from $SRG_IMAGE_MIRROR; cached for today in $dir"
    # slim as Debian's container images: no manuals, no documentation but the copyrights
    if ! unshare --mount --propagation private -- env -i PATH="$sys_path" LANG=C.UTF-8 \
        mmdebstrap --mode=root --variant=minbase --format=directory --skip=cleanup/apt/lists \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
        "$suite" "$tmp/root" "$SRG_IMAGE_MIRROR"; then
      rm -rf --one-file-system "$tmp"
      fail "mmdebstrap could not make the base $suite from $SRG_IMAGE_MIRROR"
    fi
    # the files a task's hosts and resolver are bound over at run time
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$tmp/root/etc/hosts"
    rm -f "$tmp/root/etc/resolv.conf"
    : > "$tmp/root/etc/resolv.conf"
    mv -T "$tmp" "$dir"
    say "base ready in $(( ${EPOCHREALTIME%.*} - ${started%.*} )) s"
    # bases of earlier days go (those of yesterday may still be copied by a build that waited)
    find "$SRG_IMAGE_CACHE" -mindepth 1 -maxdepth 1 -name "$suite-slim-*" -mtime +1 -exec rm -rf --one-file-system {} + || true
  else
    say "base $suite from the cache ($dir)"
  fi
  cp -a --reflink=auto "$dir/root" "$stage/root"
  flock -u "$lock"
  exec {lock}>&-
}

if [[ $SRG_IMAGE_BASE == img-* ]]; then
  parent=$images/$SRG_IMAGE_BASE/root
  [[ -d $parent ]] || fail "the base image $SRG_IMAGE_BASE is not there (deleted?)"
  say "layering on image $SRG_IMAGE_BASE"
  cp -a --reflink=auto "$parent" "$stage/root"
else
  base_root "$SRG_IMAGE_BASE"
fi
root=$stage/root

# Packages: apt as root in a chroot of the pristine base (no user code has run in it yet), in a
# mount namespace of its own (proc and the devices it needs vanish with it).
mapfile -t packages < <(grep -v '^$' packages || true)
if (( ${#packages[@]} > 0 )); then
  say "installing ${packages[*]}"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  if ! unshare --mount --propagation private -- env -i PATH="$sys_path" LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
      bash -c 'set -e; root=$1; shift
        mount -t proc proc "$root/proc"
        for d in null zero full random urandom tty; do
          [[ -e $root/dev/$d ]] || : > "$root/dev/$d"
          mount --bind "/dev/$d" "$root/dev/$d"
        done
        # the base cache keeps the day'"'"'s package lists; fetched again only when they are missing or stale
        if ! compgen -G "$root/var/lib/apt/lists/*_Packages*" >/dev/null; then chroot "$root" apt-get -q update; fi
        if ! chroot "$root" apt-get -q install -y --no-install-recommends "$@"; then
          chroot "$root" apt-get -q update
          chroot "$root" apt-get -q install -y --no-install-recommends "$@"
        fi
        chroot "$root" apt-get clean' install "$root" "${packages[@]}"; then
    fail "apt-get could not install ${packages[*]} (see above)"
  fi
  rm -f "$root/usr/sbin/policy-rc.d"
  : > "$root/etc/resolv.conf"
fi
rm -rf --one-file-system "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin

# The build script: the user's code. The tree becomes the task uid's for the while, and the script
# runs as that uid, root only in its own user namespace (it can change the image, nothing else),
# with the image as its root, /proc, a minimal /dev, a private /tmp, in the group's network.
if [[ -s build-script.sh ]]; then
  say "running the build script as uid $SRG_TASK_UID (root only inside its own user namespace)"
  chown -R -h -P "$SRG_TASK_UID:$SRG_TASK_GID" "$root"
  mkdir -p "$work/.root"
  net=()
  [[ -n ${SRG_TASK_NETNS:-} ]] && net=(nsenter "--net=$SRG_TASK_NETNS" --)
  set +e
  # the group's hosts and resolver (made by the task's network) where it has one, else the host's
  netdir=
  [[ -n ${SRG_TASK_NETNS:-} && -f $work/../net/hosts ]] && netdir=$work/../net
  unshare --mount --propagation private -- bash -c 'set -e
      mount --bind "$1" "$2"
      if [[ -n $3 ]]; then
        mount --bind "$3/hosts" /etc/hosts
        mount --bind "$3/resolv.conf" "$(readlink -f /etc/resolv.conf)"
      fi
      shift 3
      exec "$@"' build "$root" "$work/.root" "$netdir" \
    "${net[@]}" env -i PATH="$sys_path" LANG=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive \
    setpriv "--reuid=$SRG_TASK_UID" "--regid=$SRG_TASK_GID" --clear-groups --no-new-privs -- \
    bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try \
      --die-with-parent --bind "$work/.root" / --proc /proc --dev /dev --tmpfs /tmp \
      --ro-bind /etc/resolv.conf /etc/resolv.conf --ro-bind /etc/hosts /etc/hosts --chdir /root \
      /bin/bash -e -s < build-script.sh
  rc=$?
  set -e
  chown -R -h -P 0:0 "$root"
  (( rc == 0 )) || fail "the build script exited with $rc"
  say "build script done"
fi

# What every task's sandbox mounts over must be there, as itself (never through a link).
for d in etc home tmp proc dev; do
  [[ -d $root/$d && ! -L $root/$d ]] || fail "/$d is missing or not a directory: a task could not run in this image"
done
for f in etc/hosts etc/resolv.conf; do
  [[ -f $root/$f && ! -L $root/$f ]] || fail "/$f is missing or not a plain file: a task could not run in this image"
done
size=$(du -sb --one-file-system "$root" | cut -f1)
if (( size > SRG_IMAGE_MAX_BYTES )); then
  fail "the image has $size bytes, over the limit of $SRG_IMAGE_MAX_BYTES"
fi
echo "$size" > "$stage/size"
chmod 0755 "$stage" "$root"
if ! mv -T "$stage" "$final" 2>/dev/null; then
  [[ -d $final ]] || fail "cannot move the image into place"
  say "image $id was built by another build meanwhile"
  rm -rf --one-file-system "$stage"
fi
say "image $id ready: $size bytes in $(( ${EPOCHREALTIME%.*} - ${started%.*} )) s"
