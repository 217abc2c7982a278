import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROVIDER_ERROR_CODES } from '@cove/sdk';
import { ERROR_STATUS } from './errors.js';

test('the SDK knows every error code the provider answers with, and no other', () => {
  assert.deepEqual([...PROVIDER_ERROR_CODES].sort(), Object.keys(ERROR_STATUS).sort());
});
