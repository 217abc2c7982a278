#!/usr/bin/env bash
# What every workspace's tests need, so `npm test -w <workspace>` runs on its own on a fresh
# clone: the Docker engine and the local images (scripts/setup.sh, idempotent and quick once
# done) and the contracts compiled by forge (contracts/out: ABIs, bytecode, deploy artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
forge build --quiet
