import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ANVIL_DEFAULT_KEYS, startAnvil } from './anvil.js';

test('every default key controls one of the accounts anvil funds', async (t) => {
  const anvil = await startAnvil();
  t.after(() => anvil.stop());
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true });
  t.after(() => provider.destroy());
  const funded: string[] = await provider.send('eth_accounts', []);
  const ours = ANVIL_DEFAULT_KEYS.map((k) => new Wallet(k).address.toLowerCase());
  assert.deepEqual(ours, funded.slice(0, ours.length).map((a) => a.toLowerCase()));
});

test('stop() ends the anvil process', async () => {
  const anvil = await startAnvil();
  await anvil.stop();
  assert.notEqual(anvil.process.exitCode ?? anvil.process.signalCode, null);
});
