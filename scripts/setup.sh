#!/usr/bin/env bash
# Everything Cove needs before it runs: pinned Node 24, a Docker engine (with gVisor's runsc
# registered when the host allows it), local images.
# Run through npm (`npm run …`) so node_modules/.bin (Node 24, forge, anvil) is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(node --version)" in
  v24.*) ;;
  *) echo "cove: expected the project's Node 24 on PATH (run through npm: npm run …), got $(node --version)" >&2; exit 1 ;;
esac
bash scripts/ensure-docker.sh
bash scripts/ensure-runsc.sh
bash scripts/build-images.sh >/dev/null
