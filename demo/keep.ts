/**
 * What `npm run demo -- --keep` leaves for the `cove` CLI: the devnet's network file, beside
 * the demo's homes and in each of them (owner, buyer, auditor: keys, IPFS node, network), and
 * the commands to try — as each of them, and as a new key funded by `cove devnet fund`.
 */
import { join } from 'node:path';
import { writeNetworkFile, type CoveContracts, type NetworkFile } from '@cove/sdk';

/** The network file of a devnet, as its operator would hand it out. */
export function devnetNetworkFile(devnet: { rpcUrl: string; contracts: CoveContracts; provider: { url: string; ipfsAddresses: string[] } }): NetworkFile {
  const { chainId, deploymentBlock, ...contracts } = devnet.contracts;
  return {
    rpcUrl: devnet.rpcUrl,
    chainId: chainId.toString(),
    contracts,
    ...(deploymentBlock !== undefined && { deploymentBlock }),
    providerUrl: devnet.provider.url,
    ipfsPeers: devnet.provider.ipfsAddresses,
  };
}

export type KeptStory = { assetId: bigint; jobId: string; modelId: bigint; resultsDir: string };

/**
 * Writes `<dir>/network.json` and `<dir>/<role>/network.json` for the three homes and returns
 * the lines to print: one command per role (each runs as it is), then how to start a new
 * home and fund its key.
 */
export async function keepHomes(dir: string, network: NetworkFile, story: KeptStory): Promise<string[]> {
  const shared = join(dir, 'network.json');
  await writeNetworkFile(shared, network);
  for (const role of ['owner', 'buyer', 'auditor']) await writeNetworkFile(join(dir, role, 'network.json'), network);
  const as = (role: string, command: string) => `COVE_HOME=${join(dir, role)} npx cove ${command}`;
  return [
    'Ready homes (keys, IPFS node, network file; owner and buyer funded):',
    `  ${as('owner', `assets ${story.assetId}`)}`,
    `  ${as('buyer', 'jobs')}`,
    `  ${as('buyer', `job ${story.jobId} --follow`)}`,
    `  ${as('auditor', `audit ${story.assetId}`)}`,
    `  ${as('auditor', `audit ${story.jobId} --results ${story.resultsDir}`)}`,
    `  ${as('auditor', `audit ${story.modelId} --model ${story.resultsDir}`)}`,
    'A home of your own, its key funded from the devnet:',
    `  COVE_HOME=${join(dir, 'me')} npx cove init ${shared}`,
    `  COVE_HOME=${join(dir, 'me')} npx cove devnet fund --amount 10`,
    `  COVE_HOME=${join(dir, 'me')} npx cove buy ${story.assetId}`,
  ];
}
