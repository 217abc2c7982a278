#!/usr/bin/env node
// The `cove-provider` command: starts a provider from COVE_* environment variables (see docs/provider-operator.md).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
