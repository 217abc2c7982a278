#!/usr/bin/env bash
# Build Cove's local runtime images, each only when missing (no registry is needed):
#   cove/node-runtime:24     the project's pinned Node binary and its shared libraries
#   cove/python-sklearn:12   Debian 12 minbase + python3, numpy, scikit-learn
# Prints each image's ID. Any other image (pulled from a registry) works with Cove too;
# only the demo and the tests use these names.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_IMAGE=${COVE_NODE_IMAGE:-cove/node-runtime:24}
PY_IMAGE=${COVE_PYTHON_IMAGE:-cove/python-sklearn:12}
MIRROR=${COVE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

have() { docker image inspect "$1" >/dev/null 2>&1; }
log() { echo "cove: $*" >&2; }

# A user and group the jobs run as (uid/gid 1000), so files have names inside the image.
write_passwd() {
  mkdir -p "$1/etc"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\njob:x:1000:1000:job:/tmp:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\njob:x:1000:\nnogroup:x:65534:\n' >"$1/etc/group"
}

build_node() {
  local node root
  node=$(readlink -f node_modules/.bin/node)
  "$node" --version | grep -q '^v24\.' || { log "node_modules/.bin/node is not Node 24; run npm ci first"; exit 1; }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root"/{usr/local/bin,tmp,data,proc,sys,dev,etc}
  cp "$node" "$root/usr/local/bin/node"
  # The binary's shared libraries (and the loader), at their own paths.
  ldd "$node" | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  write_passwd "$root"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'USER 1000:1000' \
    --change 'WORKDIR /tmp' \
    --change 'CMD ["node"]' - "$NODE_IMAGE" >/dev/null
}

build_python() {
  command -v debootstrap >/dev/null 2>&1 || {
    [ "$(id -u)" -eq 0 ] || { log "debootstrap is missing; install it (apt-get install debootstrap)"; exit 1; }
    log "installing debootstrap from apt..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
  }
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  log "building $PY_IMAGE with debootstrap (a few minutes, once)..."
  debootstrap --variant=minbase --include=python3-minimal,python3-numpy,python3-sklearn \
    bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
  rm -f "$root.log"
  # Trim: compilers, docs, caches. libgomp1 and libquadmath0 stay (numpy/scipy need them).
  chroot "$root" dpkg --purge --force-depends gcc-12 cpp-12 gcc cpp >/dev/null 2>&1 || true
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian} "$root"/var/cache/apt/* \
    "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/usr/lib/python3/dist-packages/*/tests
  find "$root/usr/lib/python3" -name '__pycache__' -prune -exec rm -rf {} + 2>/dev/null || true
  echo 'job:x:1000:1000:job:/tmp:/usr/sbin/nologin' >>"$root/etc/passwd"
  echo 'job:x:1000:' >>"$root/etc/group"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'USER 1000:1000' \
    --change 'WORKDIR /tmp' \
    --change 'CMD ["python3"]' - "$PY_IMAGE" >/dev/null
}

only=${1:-all}
if [ "$only" = all ] || [ "$only" = node ]; then have "$NODE_IMAGE" || build_node; fi
if [ "$only" = all ] || [ "$only" = python ]; then have "$PY_IMAGE" || build_python; fi
for img in "$NODE_IMAGE" "$PY_IMAGE"; do
  have "$img" && echo "$img $(docker image inspect --format '{{.Id}}' "$img")"
done
