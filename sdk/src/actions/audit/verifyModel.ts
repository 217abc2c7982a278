import { getAddress } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { decodeContractError } from '../../contracts/index.js';
import { hashResultFiles, listingHash, sameHash, type ResultFilesInput } from './hashes.js';
import { createAuditIndexer, type CreateAuditIndexerParameters } from './indexer.js';
import { AuditError, fail, pass, throwIfAborted, type AuditCheck, type AuditFailureCode, type JobVerdict, type MODEL_CHECKS } from './types.js';
import { verifyJob } from './verifyJob.js';

export type VerifyModelParameters = {
  /** The model asset. */
  assetId: bigint | number | string;
  /** The model's decrypted files (path → bytes, or their directory): adds the `modelFiles` check. */
  files?: ResultFilesInput;
  fromBlock?: CreateAuditIndexerParameters['fromBlock'];
  blockRange?: CreateAuditIndexerParameters['blockRange'];
  documentTimeoutMs?: CreateAuditIndexerParameters['documentTimeoutMs'];
  signal?: AbortSignal;
};

/** The verdict on a model: its lineage checks, each parent job's verdict, and the datasets it traces back to. */
export type ModelVerdict = {
  assetId: bigint;
  ok: boolean;
  checks: AuditCheck[];
  jobs: JobVerdict[];
  /** Every dataset asset the parent jobs spent an order on. */
  datasets: bigint[];
};

const check = (name: (typeof MODEL_CHECKS)[number]) => ({
  pass: (reason: string, details?: Record<string, unknown>) => pass(name, reason, details),
  fail: (code: AuditFailureCode, reason: string, details?: Record<string, unknown>) => fail(name, code, reason, details),
});

/**
 * Traces a model back to its jobs and datasets from the chain and the bytes: the lineage the DataNFT recorded at
 * mint (`LineageRecorded`) is the one the model's frozen document states; every parent job verifies (`verifyJob`),
 * succeeded and was bought by the model's publisher; each parent's output listing in the document hashes to the
 * job's `outputsHash`; and, given the model's files, each hashes to a listed output of a parent job.
 *
 * @example
 * const verdict = await verifyModel(client, { assetId: 7n, files: './model' });
 * if (!verdict.ok) console.log(verdict.checks.filter((c) => !c.ok));
 */
export async function verifyModel(client: CoveClientBase, params: VerifyModelParameters): Promise<ModelVerdict> {
  let assetId: bigint;
  try {
    assetId = BigInt(params.assetId);
  } catch (cause) {
    throw new AuditError('INVALID_AUDIT_PARAMS', 'assetId must be an integer', { details: { assetId: params.assetId }, cause });
  }
  const { signal } = params;
  const indexer = await createAuditIndexer(client, params);
  const nft = client.contracts.dataNFT;
  const [kind, creator] = await Promise.all([nft.kindOf(assetId, { blockTag: indexer.toBlock }), nft.creatorOf(assetId, { blockTag: indexer.toBlock })]).catch((err: unknown) => {
    if (decodeContractError(err)?.details?.error === 'DataNFTUnknownAsset') throw new AuditError('ASSET_NOT_FOUND', `asset ${assetId} does not exist at block ${indexer.toBlock}`, { details: { assetId } });
    throw err;
  });
  const [lineage, history] = await Promise.all([indexer.lineageOf(assetId), indexer.documentHistory(assetId)]);
  throwIfAborted(signal);
  const checks: AuditCheck[] = [];
  const lineageCheck = check('lineageRecorded');
  if (Number(kind) !== 2 || lineage === undefined) {
    checks.push(lineageCheck.fail('NO_LINEAGE', `asset ${assetId} is not a model with recorded lineage`));
    return { assetId, ok: false, checks, jobs: [], datasets: [] };
  }
  const document = await indexer.document(history.current.cid, history.current.hash, signal).catch(() => undefined);
  const stated = document?.lineage;
  const onChain = lineage.parentJobIds.map((j) => j.toLowerCase());
  if (stated === undefined || history.versions.length !== 1) {
    const why = stated === undefined ? 'its document cannot be loaded or states no lineage' : `its document was replaced ${history.versions.length - 1} time(s)`;
    checks.push(lineageCheck.fail('DOCUMENT_LINEAGE_MISMATCH', `model ${assetId}: ${why}`, { onChain }));
  } else if (JSON.stringify(stated.parentJobIds.map((j) => j.toLowerCase())) !== JSON.stringify(onChain)) {
    checks.push(lineageCheck.fail('DOCUMENT_LINEAGE_MISMATCH', `the document names parents ${stated.parentJobIds.join(', ')}, the chain recorded ${onChain.join(', ')}`, { onChain, stated: stated.parentJobIds }));
  } else {
    checks.push(lineageCheck.pass(`${onChain.length} parent job(s) recorded at mint (block ${lineage.blockNumber}) match the model's document, anchored once`, { onChain }));
  }

  const jobs = await Promise.all(onChain.map((jobId) => verifyJob(client, { jobId, indexer, ...(signal && { signal }) })));
  const publisher = getAddress(creator as string);
  const badJobs = jobs.filter((j) => !j.ok || j.status !== 'succeeded' || (j.receipt && getAddress(j.receipt.consumer) !== publisher));
  const rootsAgree = jobs.every((j, i) => j.batch?.root === lineage.roots[i]?.toLowerCase());
  checks.push(
    badJobs.length === 0 && rootsAgree
      ? check('parentJobs').pass(`every parent job verifies, succeeded and was bought by the publisher ${publisher}`)
      : check('parentJobs').fail('PARENT_JOB_FAILED', badJobs.length > 0 ? `parent job(s) ${badJobs.map((j) => j.jobId).join(', ')} fail verification, did not succeed, or were bought by another consumer` : 'a lineage root differs from its job\'s batch root', { failed: badJobs.map((j) => j.jobId) }),
  );

  const parents = stated?.parents ?? [];
  const listingProblems = jobs.flatMap((j) => {
    const p = parents.find((x) => x.jobId.toLowerCase() === j.jobId);
    if (p === undefined || j.receipt === undefined) return [`job ${j.jobId}: the document records no output listing`];
    if (!sameHash(listingHash(p.outputs), j.receipt.outputsHash)) return [`job ${j.jobId}: the recorded listing does not hash to its outputsHash`];
    const paths = new Set(p.outputs.map((o) => o.path));
    return p.modelFiles.filter((f) => !paths.has(f)).map((f) => `job ${j.jobId}: model file ${f} is not one of its outputs`);
  });
  checks.push(listingProblems.length === 0 ? check('outputsListing').pass("each parent's output listing in the document hashes to the job's outputsHash") : check('outputsListing').fail('OUTPUTS_LISTING_MISMATCH', listingProblems.join('; ')));

  if (params.files !== undefined) {
    const given = await hashResultFiles(params.files, signal ? { signal } : {});
    const listed = new Map(parents.flatMap((p) => p.modelFiles.map((f) => [f, p.outputs.find((o) => o.path === f)?.sha256] as const)));
    const wrong = given.filter((g) => listed.get(g.path) !== g.sha256).map((g) => g.path);
    const missing = [...listed.keys()].filter((f) => !given.some((g) => g.path === f));
    checks.push(
      wrong.length === 0 && missing.length === 0
        ? check('modelFiles').pass(`the model's ${given.length} file(s) are byte for byte outputs of its parent jobs`)
        : check('modelFiles').fail('MODEL_FILES_MISMATCH', `${wrong.length > 0 ? `not a listed job output: ${wrong.join(', ')}` : ''}${wrong.length > 0 && missing.length > 0 ? '; ' : ''}${missing.length > 0 ? `missing: ${missing.join(', ')}` : ''}`, { wrong, missing }),
    );
  }
  const datasets = [...new Set(jobs.flatMap((j) => j.receipt?.assetIds ?? []))].sort((a, b) => (a < b ? -1 : 1));
  return { assetId, ok: checks.every((c) => c.ok), checks, jobs, datasets };
}
