import { JsonRpcProvider, Wallet } from 'ethers';
import { startAnvil, ANVIL_DEFAULT_KEYS } from '@cove/sdk';
import { against, medianMs, type BenchSuite } from './lib.js';

/** Local chain latency: a mined transfer versus a bare JSON-RPC round trip. */
export const toolchain: BenchSuite = {
  name: 'toolchain',
  async run() {
    const anvil = await startAnvil();
    const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const wallet = new Wallet(ANVIL_DEFAULT_KEYS[0], provider);
      const rpc = { suite: 'toolchain', name: 'anvil eth_blockNumber', unit: 'ms', value: await medianMs(50, () => provider.getBlockNumber()) };
      const tx = {
        suite: 'toolchain',
        name: 'anvil transfer, sent and mined',
        unit: 'ms',
        value: await medianMs(20, async () => (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait()),
      };
      return [rpc, against(tx, rpc)];
    } finally {
      provider.destroy();
      await anvil.stop();
    }
  },
};
