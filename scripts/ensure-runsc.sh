#!/usr/bin/env bash
# Optional second kernel boundary: gVisor's `runsc`, registered with Docker as the runtime
# `cove-runsc` (the runner probes it at start; COVE_RUNTIME=auto uses it when the probe passes).
# Never fails setup: on a host where it cannot be installed or registered it prints one line
# and the runner keeps to runc. Root on Debian/Ubuntu only; quiet elsewhere. Idempotent.
#
# Why these arguments (measured with Debian's runsc 20221219 and docker.io 20.10, docs/runner.md):
#   --network=none   Docker 20.10 starts runsc in the root network namespace for NetworkMode none,
#                    and a plain entry fails every start ("cannot run with network enabled in
#                    root network namespace"); jobs have no network anyway.
#   --platform=ptrace  systrap is unknown to this build, KVM hangs without vmx/svm.
# Not --oci-seccomp (the job's profile inside the sandbox): this build ignores errnoRet, so the
# profile's clone3 -> ENOSYS rule answers EPERM and no thread starts (node aborts, the probe fails);
# it needs a runsc-only profile with clone3 allowed first (docs/runner.md, Runtimes).
set -uo pipefail

RUNTIME=cove-runsc
DAEMON_JSON=/etc/docker/daemon.json

[ "$(id -u)" -eq 0 ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
command -v dockerd >/dev/null 2>&1 || exit 0

if ! command -v runsc >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get install -y -qq --no-install-recommends runsc >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends runsc >/dev/null 2>&1; }; }; then
    echo "cove: runsc (gVisor) is not available from apt; jobs run under runc only" >&2
    exit 0
  fi
fi
RUNSC=$(command -v runsc) || { echo "cove: runsc installed no binary on PATH; jobs run under runc only" >&2; exit 0; }

# Merge our entry into daemon.json, keeping every other key; print "changed" when it wrote.
changed=$(node -e '
const fs = require("fs");
const [file, name, path] = process.argv.slice(1);
let cfg = {};
try { cfg = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { if (e.code !== "ENOENT") throw e; }
const entry = { path, runtimeArgs: ["--network=none", "--platform=ptrace"] };
cfg.runtimes = cfg.runtimes ?? {};
if (JSON.stringify(cfg.runtimes[name]) === JSON.stringify(entry)) process.exit(0);
cfg.runtimes[name] = entry;
fs.mkdirSync(require("path").dirname(file), { recursive: true });
fs.writeFileSync(file + ".cove-tmp", JSON.stringify(cfg, null, 2) + "\n");
fs.renameSync(file + ".cove-tmp", file);
console.log("changed");
' "$DAEMON_JSON" "$RUNTIME" "$RUNSC" 2>&1) || { echo "cove: could not register $RUNTIME in $DAEMON_JSON ($changed); jobs run under runc only" >&2; exit 0; }

registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$RUNTIME\""; }
if [ "$changed" = "changed" ] || ! registered; then
  # dockerd reloads `runtimes` on SIGHUP; running containers are untouched.
  pid=$(pidof dockerd || true)
  [ -n "$pid" ] && kill -HUP $pid
  for _ in $(seq 1 10); do registered && break; sleep 0.5; done
fi
registered || echo "cove: dockerd did not pick up the $RUNTIME runtime from $DAEMON_JSON; jobs run under runc only" >&2
exit 0
