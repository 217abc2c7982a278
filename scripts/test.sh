#!/usr/bin/env bash
# The whole test suite; any failure fails the run. Each step prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
current=""
last=$SECONDS
took() { [ -z "$current" ] || printf -- '-- %s: %ss\n' "$current" "$((SECONDS - last))"; }
step() {
  took
  current=$1
  last=$SECONDS
  printf '\n== %s\n' "$*"
}

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
step "typedoc (the SDK's API reference; a warning fails)"; typedoc --emit none
for ws in sdk c2d-runner provider; do
  step "unit tests: $ws";   npm test --silent -w "$ws"
done
step "end-to-end tests";    npm test --silent -w test
took
printf '\n== all tests passed in %ss\n' "$((SECONDS - t0))"
