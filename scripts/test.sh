#!/usr/bin/env bash
# The whole test suite; any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

profile=default
[ "${CI:-}" = "true" ] && profile=ci

step "node $(node --version)"
step "forge fmt --check";   forge fmt --check
step "forge build";         forge build --quiet
step "forge test ($profile)"; FOUNDRY_PROFILE=$profile forge test
if [ -f .gas-snapshot ]; then
  step "forge snapshot --check"; forge snapshot --check --match-test '^test_gas_'
fi
step "tsc --noEmit";        tsc -p tsconfig.json --noEmit
for ws in sdk c2d-runner provider; do
  step "unit tests: $ws";   npm test --silent -w "$ws"
done
step "end-to-end tests";    npm test --silent -w test
