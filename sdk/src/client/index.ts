import { createCoveClientBase, type CoveClientBase, type CreateCoveClientParameters } from './base.js';
import { verifyJob } from '../actions/audit/verifyJob.js';
import { verifyModel } from '../actions/audit/verifyModel.js';
import { getReceipt } from '../actions/audit/getReceipt.js';
import { auditAsset } from '../actions/audit/auditAsset.js';
import { publishAsset } from '../actions/assets/publishAsset.js';
import { publishModel } from '../actions/assets/publishModel.js';
import { updateAsset } from '../actions/assets/updateAsset.js';
import { getAsset } from '../actions/assets/getAsset.js';
import { listAssets } from '../actions/assets/listAssets.js';
import { getPricing } from '../actions/market/getPricing.js';
import { buyDatatokens } from '../actions/market/buyDatatokens.js';
import { orderAsset } from '../actions/market/orderAsset.js';
import { startCompute } from '../actions/compute/startCompute.js';
import { checkAlgorithm } from '../actions/compute/checkAlgorithm.js';
import { getJob } from '../actions/compute/getJob.js';
import { listJobs } from '../actions/compute/listJobs.js';
import { getJobLogs } from '../actions/compute/getJobLogs.js';
import { waitForJob } from '../actions/compute/waitForJob.js';
import { stopJob } from '../actions/compute/stopJob.js';
import { findProvider } from '../actions/compute/findProvider.js';
import { getResults } from '../actions/compute/getResults.js';
import { download } from '../actions/access/download.js';
import { listPendingReleases } from '../actions/review/listPendingReleases.js';
import { inspectOutputs } from '../actions/review/inspectOutputs.js';
import { releaseOutputs } from '../actions/review/releaseOutputs.js';
import { rejectOutputs } from '../actions/review/rejectOutputs.js';

/**
 * Every action, bound to one client: `client.publishAsset(params)` is
 * `publishAsset(client, params)`. Actions live one per file in `sdk/src/actions/`.
 */
const actions = {
  findProvider,
  verifyJob,
  verifyModel,
  getReceipt,
  auditAsset,
  publishAsset,
  publishModel,
  updateAsset,
  getAsset,
  listAssets,
  getPricing,
  buyDatatokens,
  orderAsset,
  checkAlgorithm,
  startCompute,
  getJob,
  listJobs,
  getJobLogs,
  waitForJob,
  stopJob,
  getResults,
  download,
  listPendingReleases,
  inspectOutputs,
  releaseOutputs,
  rejectOutputs,
} as const;

/** Every action bound to one client: `cove.publishAsset(params)` is `publishAsset(client, params)`. */
export type BoundActions = {
  [K in keyof typeof actions]: (typeof actions)[K] extends (client: CoveClientBase, ...rest: infer A) => infer R ? (...rest: A) => R : never;
};

export type CoveClient = CoveClientBase & BoundActions;

/**
 * Creates a Cove client.
 * @example
 * const cove = createCoveClient({ rpcUrl, signer, contracts, storage, x25519 });
 * const { assetId } = await cove.publishAsset({ file: 'data.csv', name: 'Breast cancer', ... });
 */
export function createCoveClient(params: CreateCoveClientParameters): CoveClient {
  const base = createCoveClientBase(params);
  const bound = Object.fromEntries(
    Object.entries(actions).map(([name, fn]) => [name, (...rest: unknown[]) => (fn as (c: CoveClientBase, ...r: unknown[]) => unknown)(base, ...rest)]),
  ) as BoundActions;
  return { ...base, ...bound };
}

export { createCoveClientBase, requireSigner, requireX25519, type CoveClientBase, type CreateCoveClientParameters } from './base.js';
