#!/usr/bin/env bash
# Everything Cove needs before it runs: pinned Node 24, jq/python3/curl for the cast audit, a Docker engine (with gVisor's runsc
# registered when the host allows it), local images.
# Run through npm (`npm run …`) so node_modules/.bin (Node 24, forge, anvil) is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(node --version)" in
  v24.*) ;;
  *) echo "cove: expected the project's Node 24 on PATH (run through npm: npm run …), got $(node --version)" >&2; exit 1 ;;
esac
# The independent audit (scripts/audit-with-cast.sh) needs jq, python3 and curl beside Foundry's cast.
missing=()
for tool in jq python3 curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "cove: ${missing[*]} missing (scripts/audit-with-cast.sh needs them); install them with your package manager" >&2
    exit 1
  fi
  echo "cove: installing ${missing[*]} from apt..." >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
bash scripts/ensure-docker.sh
bash scripts/ensure-runsc.sh
bash scripts/build-images.sh >/dev/null
