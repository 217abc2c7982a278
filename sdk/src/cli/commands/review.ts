import type { Command } from 'commander';
import { inspectOutputs } from '../../actions/review/inspectOutputs.js';
import { listPendingReleases } from '../../actions/review/listPendingReleases.js';
import { rejectOutputs } from '../../actions/review/rejectOutputs.js';
import { releaseOutputs } from '../../actions/review/releaseOutputs.js';
import { withSession } from '../context.js';
import { printResult } from '../output.js';
import { createProgress } from '../progress.js';
import { parseAssetId, parseJobId, usage } from '../options.js';
import type { Run } from '../run.js';

type ReviewOptions = { provider?: string; inspect?: string; out?: string; release?: string; reject?: string };

export function registerReview(program: Command, run: Run): void {
  program
    .command('review <assetId>')
    .description("review the outputs of jobs over your asset before their buyers get them (its output policy says review: true): list them, or inspect, release or reject one")
    .option('--inspect <jobId>', 'fetch and decrypt the held outputs into --out, checked against the manifest')
    .option('--out <dir>', 'directory to create for --inspect')
    .option('--release <jobId>', 'release the outputs to the buyer (once every reviewing owner has)')
    .option('--reject <jobId>', 'reject the outputs: the job ends rejected_by_owner and the buyer gets nothing')
    .option('--provider <url>', "provider (default: the network file's)")
    .addHelpText('after', '\nExamples:\n  cove review 1\n  cove review 1 --inspect 0x… --out ./review\n  cove review 1 --release 0x…\n  cove review 1 --reject 0x…')
    .action(
      run(async (opts, assetId: string, o: ReviewOptions) => {
        const id = parseAssetId(assetId);
        const chosen = [o.inspect, o.release, o.reject].filter((x) => x !== undefined);
        if (chosen.length > 1) throw usage('give at most one of --inspect, --release, --reject');
        if (o.inspect !== undefined && o.out === undefined) throw usage('--inspect needs --out <dir>');
        await withSession(opts, async ({ cove, network }) => {
          const provider = o.provider ?? network.providerUrl;
          if (provider === undefined) throw usage('give --provider <url> (the network file names none)');
          const ref = { provider, assetId: id };
          if (o.inspect !== undefined) {
            const bar = createProgress('inspect', { enabled: !opts.json });
            const r = await inspectOutputs(cove, { ...ref, jobId: parseJobId(o.inspect), out: o.out!, onProgress: (p) => bar.update(p.plaintextBytes) });
            bar.done();
            printResult(opts, r, () => [
              ...r.files.map((f) => `${f.path.padEnd(24)} ${String(f.size).padStart(10)} bytes  sha256 ${f.sha256}`),
              `outputs hash     ${r.manifest.outputsHash} (the files match the manifest)`,
              `written to       ${r.dir}`,
              ...(r.logs ? ['logs the buyer would get:', r.logs.replace(/\n$/, '')] : []),
            ]);
          } else if (o.release !== undefined) {
            const r = await releaseOutputs(cove, { ...ref, jobId: parseJobId(o.release) });
            printResult(opts, r, () => [`job ${r.jobId}: ${r.status}${r.pending.length > 0 ? ` (waiting for the owners of asset(s) ${r.pending.join(', ')})` : ''}`]);
          } else if (o.reject !== undefined) {
            const r = await rejectOutputs(cove, { ...ref, jobId: parseJobId(o.reject) });
            printResult(opts, r, () => [`job ${r.jobId}: ${r.status}`]);
          } else {
            const r = await listPendingReleases(cove, ref);
            printResult(opts, r, () =>
              r.jobs.length === 0
                ? [`no job of asset ${r.assetId} awaits release`]
                : r.jobs.map((j) => `${j.jobId}  buyer ${j.consumer}  ${j.manifest.files.length} file(s)  outputs ${j.manifest.outputsHash}${j.reviewers.length > 1 ? `  released ${j.reviewers.filter((x) => x.released).length}/${j.reviewers.length}` : ''}`),
            );
          }
        });
      }),
    );
}
