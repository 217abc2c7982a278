/**
 * `cove devnet fund [address]`: on a local development chain (anvil's or hardhat's chain id),
 * sends coins from its well-known funded account to a new key. Refused on any other chain.
 */
import type { Command } from 'commander';
import { isAddress, JsonRpcProvider, Wallet } from 'ethers';
import { ANVIL_DEFAULT_KEYS } from '../../devnet/anvil.js';
import { CoveError } from '../../errors.js';
import { readNetworkFile } from '../../client/home.js';
import { checkNetwork, networkPath, userIdentity } from '../context.js';
import { printResult } from '../output.js';
import { usage } from '../options.js';
import type { Run } from '../run.js';
import { formatAmount, NATIVE_UNIT, parseAmountOption } from '../units.js';

/** Chain ids of local development chains: anvil and hardhat (31337), ganache and geth --dev (1337). */
export const DEVNET_CHAIN_IDS: readonly string[] = ['31337', '1337'];

export function isDevnetChain(chainId: string): boolean {
  return DEVNET_CHAIN_IDS.includes(chainId);
}

export function registerDevnet(program: Command, run: Run): void {
  const devnet = program
    .command('devnet')
    .description('helpers for a local development chain (chain id 31337 or 1337)')
    .addHelpText('after', '\nExample:\n  cove devnet fund --amount 5');
  devnet
    .command('fund [address]')
    .description("send coins from the devnet's funded account (anvil's first) to an address (default: yours)")
    .option('--amount <eth>', 'how much', '10')
    .addHelpText('after', '\nExamples:\n  cove devnet fund\n  cove devnet fund 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --amount 2.5\n\nOn any other chain it refuses (NOT_A_DEVNET): ask that network\'s operator for funds.')
    .action(
      run(async (opts, address: string | undefined, o: { amount: string }) => {
        if (address !== undefined && !isAddress(address)) throw usage(`not an address: ${address}`);
        const amount = parseAmountOption(o.amount, 'amount', NATIVE_UNIT, opts.wei);
        if (amount === 0n) throw usage('--amount must be more than 0');
        const file = networkPath(opts);
        const network = await readNetworkFile(file);
        const rpcUrl = opts.rpc ?? network.rpcUrl;
        // The chain answers for its id (NETWORK_MISMATCH if the file names another): the file alone is not trusted.
        await checkNetwork({ ...network, rpcUrl }, file);
        if (!isDevnetChain(network.chainId)) {
          throw new CoveError('NOT_A_DEVNET', `chain ${network.chainId} is not a devnet (chain id ${DEVNET_CHAIN_IDS.join(' or ')}): nothing was sent; ask the network's operator for funds`, { details: { chainId: network.chainId } });
        }
        const to = address ?? (await userIdentity(opts)).address;
        const rpc = new JsonRpcProvider(rpcUrl, Number(network.chainId), { staticNetwork: true, cacheTimeout: -1 });
        try {
          const funder = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
          const available = await rpc.getBalance(funder.address);
          if (available <= amount) {
            throw new CoveError('DEVNET_FUNDS_EXHAUSTED', `the devnet's funded account ${funder.address} holds ${formatAmount(available, NATIVE_UNIT, opts.wei)}: not enough to send ${formatAmount(amount, NATIVE_UNIT, opts.wei)}`);
          }
          const tx = await funder.sendTransaction({ to, value: amount });
          await tx.wait();
          const balance = await rpc.getBalance(to);
          const data = { address: to, amount, txHash: tx.hash, balance, from: funder.address };
          printResult(opts, data, () => [
            `funded           ${to} with ${formatAmount(amount, NATIVE_UNIT, opts.wei)}`,
            `balance          ${formatAmount(balance, NATIVE_UNIT, opts.wei)}`,
            `transaction      ${tx.hash}`,
          ]);
        } finally {
          rpc.destroy();
        }
      }),
    );
}
