import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { auditAsset } from '../../actions/audit/auditAsset.js';
import { provenanceStatement } from '../../actions/audit/provenance.js';
import type { JobVerdict } from '../../actions/audit/types.js';
import type { JobRuntimeName } from '../../contracts/index.js';
import { verifyJob } from '../../actions/audit/verifyJob.js';
import { verifyModel, type ModelVerdict } from '../../actions/audit/verifyModel.js';
import { CoveError } from '../../errors.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { parseAssetId, parseJobId, requireInput, usage } from '../options.js';
import type { Run } from '../run.js';
import { readSpecFile } from './algorithm.js';

/** How a receipt's runtime reads in a verdict. */
const RUNTIME_TEXT: Record<JobRuntimeName, string> = { none: 'no container', runc: 'runc', runsc: 'runsc (gVisor)' };

/** The lines of one job's verdict: each check with why it passed or failed. */
export function verdictLines(v: JobVerdict): string[] {
  return [
    `job ${v.jobId}: ${v.ok ? (v.anyAlgorithm ? 'VERIFIED (ANY ALGORITHM: the code that ran was not approved by the data owner)' : 'VERIFIED') : 'FAILED'} (${v.status ?? 'no receipt'}${v.runtime === undefined ? '' : `, ran under ${RUNTIME_TEXT[v.runtime]}`})`,
    ...v.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(26)} ${c.ok ? '' : `${c.code}: `}${c.reason}`),
    ...v.skipped.map((s) => `  --   ${s.name.padEnd(26)} ${s.reason}`),
  ];
}

/** The lines of a model's verdict: its lineage checks, then each parent job's. */
export function modelLines(v: ModelVerdict): string[] {
  return [
    `model asset ${v.assetId}: ${v.ok ? 'VERIFIED' : 'FAILED'} — traced to ${v.jobs.length} job(s) over dataset asset(s) ${v.datasets.join(', ') || 'none'}`,
    ...v.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(26)} ${c.ok ? '' : `${c.code}: `}${c.reason}`),
    ...v.jobs.flatMap(verdictLines),
  ];
}

export function registerAudit(program: Command, run: Run): void {
  program
    .command('audit <assetIdOrJobId>')
    .description('verify a job (0x… job id) or every order, job and derived model of an asset, from the chain and the bytes')
    .option('--results <dir>', 'decrypted result files of the job, to check its outputs hash')
    .option('--algorithm <spec>', 'the algorithm spec file (cove hash-algorithm --out) the job should have run, to check it is what ran')
    .option('--model <dir>', "for a model asset: its decrypted files, to check each is an output of its parent jobs")
    .option('--provenance <file>', 'with --results: write the job as an in-toto Statement v1 with a SLSA Provenance v1 predicate (only when VERIFIED)')
    .option('--allow-unverified', 'with --provenance: write it for a failed verdict too (the failed checks are in cove_audit)')
    .addHelpText('after', '\nExamples:\n  cove audit 1\n  cove audit 0x… --results ./results --algorithm train.spec.json\n  cove audit 0x… --results ./results --provenance job.intoto.json\n  cove audit 7 --model ./model   (a model: traced back to its jobs and datasets)\n  cove --json audit 0x… | jq .ok')
    .action(
      run(async (opts, target: string, o: { results?: string; algorithm?: string; provenance?: string; allowUnverified?: boolean; model?: string }) => {
        const jobId = target.startsWith('0x') ? parseJobId(target) : undefined;
        const assetId = jobId === undefined ? parseAssetId(target) : undefined;
        if (o.results !== undefined) requireInput(o.results, 'the results directory');
        if (o.model !== undefined) requireInput(o.model, 'the model directory');
        if (o.model !== undefined && jobId !== undefined) throw usage('--model applies to a model asset id, not a job id');
        if (o.provenance !== undefined && o.results === undefined) throw usage("--provenance needs --results: the result files are the statement's subjects");
        if (o.allowUnverified === true && o.provenance === undefined) throw usage('--allow-unverified applies to --provenance');
        await withSession(opts, async ({ cove }) => {
          if (jobId !== undefined) {
            const algorithm = o.algorithm === undefined ? undefined : readSpecFile(o.algorithm, '--algorithm');
            const verdict = await verifyJob(cove, { jobId, ...(o.results === undefined ? {} : { resultFiles: o.results }), ...(algorithm && { algorithm }) });
            // A failed verdict gets a statement only with --allow-unverified; the verdict prints either way.
            const exported = o.provenance !== undefined && (verdict.ok || o.allowUnverified === true);
            let refused: unknown;
            try {
              if (exported) writeFileSync(o.provenance!, `${JSON.stringify(provenanceStatement(verdict, { chainId: cove.chainId, contracts: cove.addresses, allowUnverified: o.allowUnverified === true }), null, 2)}\n`);
            } catch (err) {
              refused = err;
            }
            const wrote = exported && refused === undefined ? [`  provenance (in-toto Statement v1, SLSA Provenance v1) written to ${o.provenance}`] : [];
            printResult(opts, verdict, () => [...verdictLines(verdict), ...wrote]);
            if (refused !== undefined) throw refused;
            const unwritten = o.provenance !== undefined && !exported ? '; no provenance written (--allow-unverified writes it)' : '';
            if (!verdict.ok) throw new CoveError('AUDIT_FAILED', `job ${verdict.jobId} failed ${verdict.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}${unwritten}`);
            return;
          }
          if (o.results !== undefined || o.algorithm !== undefined || o.provenance !== undefined) throw usage('--results, --algorithm and --provenance apply to a job id, not an asset');
          const id = assetId ?? parseAssetId(target);
          // A model is traced back to its jobs and datasets; other assets are audited through their orders.
          if (o.model !== undefined || Number(await cove.contracts.dataNFT.kindOf(id).catch(() => 0)) === 2) {
            const verdict = await verifyModel(cove, { assetId: id, ...(o.model !== undefined && { files: o.model }) });
            printResult(opts, verdict, () => modelLines(verdict));
            if (!verdict.ok) throw new CoveError('AUDIT_FAILED', `model ${verdict.assetId} failed ${verdict.checks.filter((c) => !c.ok).map((c) => c.name).join(', ') || 'a parent job check'}`);
            return;
          }
          const audit = await auditAsset(cove, { assetId: id });
          printResult(opts, audit, () => [
            `asset ${audit.assetId}: ${audit.ok ? (audit.jobs.some((j) => j.anyAlgorithm) ? 'VERIFIED (ANY ALGORITHM allowed: some jobs ran code the owner did not approve)' : 'VERIFIED') : 'FAILED'} — ${audit.orders.length} order(s), ${audit.jobs.length} job(s), ${audit.derivedModels.length} derived model(s)`,
            ...audit.jobs.flatMap(verdictLines),
            ...audit.derivedModels.map((m) => `model asset ${m.assetId} trained by job(s) ${m.fromJobs.join(', ')}`),
          ]);
          if (!audit.ok) throw new CoveError('AUDIT_FAILED', `asset ${audit.assetId} has jobs that fail verification`);
        }, { keys: 'optional' });
      }),
    );
}
