#!/usr/bin/env bash
# Make sure a Docker engine answers and Docker's default seccomp profile is on disk (the runner
# derives the jobs' profile from it and refuses to start without it). Quiet when both are there;
# on Debian/Ubuntu as root, installs what is missing from apt and starts dockerd in the
# background; otherwise says what to do.
set -euo pipefail

engine_up() { docker info >/dev/null 2>&1; }

# Keep in step with DOCKER_DEFAULT_SECCOMP_PATH in c2d-runner/src/seccomp.ts.
SECCOMP_PROFILE=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
if [ ! -f "$SECCOMP_PROFILE" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "cove: $SECCOMP_PROFILE is missing; install golang-github-docker-docker-dev (apt-get install --no-install-recommends golang-github-docker-docker-dev)" >&2
    exit 1
  fi
  # Only the one file is needed: take it from the package's archive rather than installing the
  # package, which would pull in a Go toolchain and some 260 dependencies.
  echo "cove: fetching Docker's default seccomp profile (from Debian's golang-github-docker-docker-dev)..." >&2
  deb_dir=$(mktemp -d)
  trap 'rm -rf "$deb_dir"' EXIT
  fetch() { (cd "$deb_dir" && apt-get download -qq golang-github-docker-docker-dev >/dev/null 2>&1); }
  fetch || { apt-get update -qq >/dev/null && fetch; } || { echo "cove: could not download golang-github-docker-docker-dev from apt" >&2; exit 1; }
  dpkg-deb --fsys-tarfile "$deb_dir"/*.deb | tar -x -C / ".$SECCOMP_PROFILE"
  [ -f "$SECCOMP_PROFILE" ] || { echo "cove: golang-github-docker-docker-dev holds no $SECCOMP_PROFILE" >&2; exit 1; }
fi

engine_up && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "cove: no Docker engine answers. Install Docker (https://docs.docker.com/engine/install/)," >&2
  echo "      start it, and make sure this user may use it (docker info must succeed)." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "cove: installing docker.io from apt..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "cove: starting dockerd..." >&2
  log=/var/log/cove-dockerd.log
  nohup dockerd >"$log" 2>&1 </dev/null &
  disown || true
fi

for _ in $(seq 1 60); do
  engine_up && exit 0
  sleep 1
done
echo "cove: dockerd did not answer within 60 s; see /var/log/cove-dockerd.log" >&2
exit 1
