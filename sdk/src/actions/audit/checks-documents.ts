import { algorithmHash, canonicalAlgorithmSpec, type AlgorithmSpec } from '../../algorithm/spec.js';
import { JOB_RUNTIME, JOB_STATUS, jobRuntimeName, jobStatusName } from '../../contracts/index.js';
import { jobTimeDocument, type JobContext } from './context.js';
import { bareHex, hashResultFiles, imageIdOf, listingHash, sameHash, type ResultFilesInput } from './hashes.js';
import { isBefore } from './logs.js';
import { fail, pass, type AuditCheck, type AuditCheckName, type AuditFailureCode } from './types.js';

type Problem = { assetId: string; code: AuditFailureCode; reason: string; details?: Record<string, unknown> };

/** One verdict over every dataset of the receipt: passes when no asset reports a problem. */
async function perAsset(
  ctx: JobContext,
  name: AuditCheckName,
  each: (assetId: bigint, index: number) => Promise<{ problem?: Omit<Problem, 'assetId'>; detail: Record<string, unknown> }>,
  passReason: (count: number) => string,
): Promise<AuditCheck> {
  const results = await Promise.all(ctx.stored.receipt.assetIds.map(async (assetId, i) => ({ assetId, ...(await each(assetId, i)) })));
  const assets = results.map((r) => ({ assetId: r.assetId.toString(), ...r.detail }));
  const problems = results.filter((r) => r.problem !== undefined).map((r) => ({ assetId: r.assetId.toString(), ...r.problem! }));
  if (problems.length > 0) return fail(name, problems[0]!.code, problems.map((p) => p.reason).join('; '), { assets, problems });
  return pass(name, passReason(results.length), { assets });
}

/**
 * `datasetContentHashes`: each receipt content hash equals `content.contentHash` of the
 * asset document anchored when the job was recorded (loaded from storage, sha256-checked
 * against the anchored hash).
 */
export function checkDatasetContentHashes(ctx: JobContext): Promise<AuditCheck> {
  return perAsset(
    ctx,
    'datasetContentHashes',
    async (assetId, i) => {
      const doc = await jobTimeDocument(ctx, assetId);
      const inReceipt = ctx.stored.receipt.datasetContentHashes[i]!;
      if (!doc.ok) return { problem: doc, detail: { receipt: inReceipt } };
      const inDocument = doc.document.content.contentHash;
      const detail = { receipt: inReceipt, document: inDocument, cid: doc.version.cid };
      if (!sameHash(inReceipt, inDocument)) {
        return { problem: { code: 'CONTENT_HASH_MISMATCH', reason: `asset ${assetId}: the receipt's content hash ${inReceipt} is not the document's ${inDocument} (${doc.version.cid})` }, detail };
      }
      return { detail };
    },
    (n) => `${n} content hash(es) equal content.contentHash of the documents anchored at job time (sha256 checked against the chain)`,
  );
}

/**
 * `documentUnchangedSinceJob`: the document anchored now is the one anchored when the job
 * was recorded; otherwise names the block and transaction of the change.
 */
export function checkDocumentUnchanged(ctx: JobContext): Promise<AuditCheck> {
  return perAsset(
    ctx,
    'documentUnchangedSinceJob',
    async (assetId) => {
      const recorded = ctx.recorded;
      if (recorded === undefined) return { problem: { code: 'RECORD_TX_NOT_FOUND', reason: 'the recordJob transaction was not found, so the job time is unknown' }, detail: {} };
      const { versions, current } = await ctx.indexer.documentHistory(assetId);
      const atJob = versions.filter((v) => isBefore(v, recorded)).at(-1);
      const last = versions.at(-1);
      if (atJob === undefined || last === undefined || last.cid !== current.cid || !sameHash(last.hash, current.hash)) {
        return {
          problem: { code: 'DOCUMENT_HISTORY_INCOMPLETE', reason: `asset ${assetId}: the anchor events found (from block ${ctx.indexer.fromBlock}) do not account for the document at job time and now` },
          detail: { current },
        };
      }
      const same = (v: { cid: string; hash: string }) => v.cid === atJob.cid && sameHash(v.hash, atJob.hash);
      const updates = versions.filter((v) => !isBefore(v, recorded)).map((v) => ({ blockNumber: v.blockNumber, transactionHash: v.transactionHash, cid: v.cid, hash: v.hash }));
      const detail = { atJob: { cid: atJob.cid, hash: atJob.hash, blockNumber: atJob.blockNumber }, current, updatesSinceJob: updates };
      if (!same(current)) {
        const first = updates.find((u) => !same(u))!;
        return {
          problem: {
            code: 'DOCUMENT_CHANGED',
            reason: `asset ${assetId}: the document changed after the job, at block ${first.blockNumber} (tx ${first.transactionHash}), from ${atJob.cid} to ${first.cid}`,
            details: { changedAt: first },
          },
          detail: { ...detail, changedAt: first },
        };
      }
      return { detail };
    },
    (n) => `the document${n > 1 ? 's' : ''} anchored now ${n > 1 ? 'are' : 'is'} the one anchored when the job was recorded`,
  );
}

/**
 * Whether a receipt meets `requireRuntime: 'runsc'`: it ran under gVisor, or no container ran
 * at all (`none`, which only an engine error may claim: nothing touched the data).
 */
function runtimeMeets(r: { runtime: number; status: number }): boolean {
  return r.runtime === JOB_RUNTIME.runsc || (r.runtime === JOB_RUNTIME.none && r.status === JOB_STATUS.engine_error);
}

/**
 * `algorithmAllowed`: each order bought a compute service of the job-time document, and the
 * receipt's `algorithmHash` (the whole container spec) is in its `allowedAlgorithms` — with
 * the receipt's image digest and code hash those of the approved spec when the policy
 * states it — or the policy sets `allowAnyAlgorithm` and the image is in `allowedImages`,
 * which passes but marks the verdict `anyAlgorithm` (no owner approved that code); and where
 * the policy sets `requireRuntime: 'runsc'`, the receipt says the job ran under gVisor.
 */
export function checkAlgorithmAllowed(ctx: JobContext): Promise<AuditCheck> {
  const { algorithmImageDigest, algorithmCodeHash, algorithmHash } = ctx.stored.receipt;
  const imageId = imageIdOf(algorithmImageDigest);
  const anyOf: string[] = [];
  return perAsset(
    ctx,
    'algorithmAllowed',
    async (assetId, index) => {
      const doc = await jobTimeDocument(ctx, assetId);
      if (!doc.ok) return { problem: doc, detail: { imageId } };
      const policy = doc.document.computePolicy;
      if (policy === undefined) return { problem: { code: 'NO_COMPUTE_POLICY', reason: `asset ${assetId}: the document at job time (${doc.version.cid}) has no compute policy` }, detail: { imageId } };
      const anyAlgorithm = policy.allowAnyAlgorithm === true;
      const detail = { imageId, codeHash: algorithmCodeHash, algorithmHash, anyAlgorithm, allowedAlgorithms: (policy.allowedAlgorithms ?? []).map((a) => a.hash), allowedImages: policy.allowedImages ?? [], cid: doc.version.cid };
      // The order must have bought compute: an order for plain download does not admit code.
      const orderId = ctx.stored.receipt.orderIds[index]!;
      const { serviceId } = await ctx.indexer.orderInfo(await ctx.indexer.datatokenOf(assetId), orderId);
      const service = doc.document.services.find((s) => s.id === Number(serviceId));
      if (service?.type !== 'compute') {
        return { problem: { code: 'SERVICE_NOT_COMPUTE', reason: `asset ${assetId}: order ${orderId} is for service ${serviceId} (${service?.type ?? 'unknown'}), not a compute service of ${doc.version.cid}` }, detail };
      }
      if (policy.requireRuntime === 'runsc' && !runtimeMeets(ctx.stored.receipt)) {
        const ran = jobRuntimeName(ctx.stored.receipt.runtime) ?? String(ctx.stored.receipt.runtime);
        return { problem: { code: 'RUNTIME_NOT_ALLOWED', reason: `asset ${assetId}: the policy of ${doc.version.cid} requires gVisor (runsc), the receipt says the job ran under ${ran}` }, detail };
      }
      if (anyAlgorithm) {
        if (!(policy.allowedImages ?? []).some((allowed) => allowed.toLowerCase() === imageId)) {
          return { problem: { code: 'IMAGE_NOT_ALLOWED', reason: `asset ${assetId}: the policy allows any algorithm, but image ${imageId} is not in its allowedImages (${doc.version.cid})` }, detail };
        }
        anyOf.push(String(assetId));
        return { detail };
      }
      const approved = (policy.allowedAlgorithms ?? []).find((a) => sameHash(a.hash, algorithmHash));
      if (approved === undefined) {
        return { problem: { code: 'ALGORITHM_NOT_APPROVED', reason: `asset ${assetId}: algorithm ${algorithmHash} is not in allowedAlgorithms of ${doc.version.cid}` }, detail };
      }
      if (approved.spec !== undefined && (approved.spec.image !== imageId || !sameHash(approved.spec.codeHash, algorithmCodeHash))) {
        return { problem: { code: 'ALGORITHM_SPEC_MISMATCH', reason: `asset ${assetId}: the receipt's image or code hash is not that of the approved spec ${algorithmHash}` }, detail };
      }
      return { detail };
    },
    (n) =>
      anyOf.length > 0
        ? `ANY ALGORITHM: asset(s) ${anyOf.join(', ')} allow any code on image ${imageId}; algorithm ${bareHex(algorithmHash).slice(0, 12)}… ran without its owner approving it (${n} dataset(s) checked)`
        : `algorithm ${bareHex(algorithmHash).slice(0, 12)}… (image ${imageId}, code ${bareHex(algorithmCodeHash).slice(0, 12)}…) is approved by the compute policy of ${n} dataset(s) at job time`,
  );
}

/**
 * `algorithmSpec`: the spec the auditor holds hashes to the receipt's `algorithmHash`, and
 * names the receipt's image and code hash: the auditor then knows exactly what ran.
 */
export function checkAlgorithmSpec(ctx: JobContext, spec: AlgorithmSpec): AuditCheck {
  const name = 'algorithmSpec';
  const { algorithmHash: inReceipt, algorithmImageDigest, algorithmCodeHash } = ctx.stored.receipt;
  const computed = algorithmHash(spec);
  const details = { computed, receipt: inReceipt, canonical: canonicalAlgorithmSpec(spec) };
  if (!sameHash(computed, inReceipt)) return fail(name, 'ALGORITHM_HASH_MISMATCH', `the given spec hashes to ${computed}, the receipt records ${inReceipt}`, details);
  if (spec.image !== imageIdOf(algorithmImageDigest) || !sameHash(spec.codeHash, algorithmCodeHash)) {
    return fail(name, 'ALGORITHM_SPEC_MISMATCH', "the spec's image or code hash differs from the receipt's", details);
  }
  return pass(name, `the given spec hashes to the receipt's algorithmHash ${computed}: image ${spec.image}, command ${JSON.stringify(spec.command)}`, details);
}

/** `outputsHash`: the runner's listing hash of the given result files equals the receipt's. */
export async function checkOutputsHash(ctx: JobContext, files: ResultFilesInput): Promise<AuditCheck> {
  const name = 'outputsHash';
  const { status, outputsHash } = ctx.stored.receipt;
  if (status !== JOB_STATUS.succeeded) {
    const statusName = jobStatusName(status) ?? String(status);
    return fail(name, 'JOB_NOT_SUCCEEDED', `the job ended ${statusName}: its receipt vouches for no outputs, so result files cannot match it`, { status: statusName, outputsHash });
  }
  let entries: Awaited<ReturnType<typeof hashResultFiles>>;
  try {
    entries = await hashResultFiles(files, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    return fail(name, 'RESULT_FILES_UNREADABLE', `the result files could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const computed = listingHash(entries);
  const details = { computed, receipt: outputsHash, files: entries };
  if (!sameHash(computed, outputsHash)) {
    return fail(name, 'OUTPUTS_HASH_MISMATCH', `the ${entries.length} result file(s) hash to ${computed}, the receipt says ${outputsHash}`, details);
  }
  return pass(name, `the ${entries.length} result file(s) hash to the receipt's outputsHash ${computed}`, details);
}
