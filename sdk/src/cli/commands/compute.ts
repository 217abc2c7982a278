import type { Command } from 'commander';
import { getAsset } from '../../actions/assets/getAsset.js';
import { publishModel } from '../../actions/assets/publishModel.js';
import { download } from '../../actions/access/download.js';
import { getJob } from '../../actions/compute/getJob.js';
import { getJobLogs } from '../../actions/compute/getJobLogs.js';
import { listJobs } from '../../actions/compute/listJobs.js';
import { isAddress } from 'ethers';
import { getResults } from '../../actions/compute/getResults.js';
import { startCompute } from '../../actions/compute/startCompute.js';
import { checkAlgorithm } from '../../actions/compute/checkAlgorithm.js';
import { stopJob } from '../../actions/compute/stopJob.js';
import { findProvider, type FindProviderParameters } from '../../actions/compute/findProvider.js';
import { orderAsset } from '../../actions/market/orderAsset.js';
import type { JobStatusView } from '../../provider-api/http.js';
import type { CoveClient } from '../../client/index.js';
import { CoveError, isCoveError } from '../../errors.js';
import { withSession, type NetworkFile } from '../context.js';
import { printResult } from '../output.js';
import { createProgress } from '../progress.js';
import { followJob, leaveJobOnInterrupt } from '../follow.js';
import { collect, parseAssetId, parseJobId, requireInput, usage } from '../options.js';
import type { Run } from '../run.js';
import { algorithmInput, algorithmSpecOptions, type AlgorithmOptions } from './algorithm.js';
import { confirmSpend, planLines, planOrder, takeFromDispenser, type OrderPlan } from '../spend.js';

/**
 * The provider to talk to: --provider, else the one the chain names (an asset's document, or the address a job id
 * starts with, looked up in the ProviderRegistry), else the network file's. Its registered IPFS addresses come along
 * so results can be fetched from its node.
 */
async function providerOf(cove: CoveClient, o: { provider?: string }, network: NetworkFile, of?: FindProviderParameters): Promise<{ url: string; ipfsAddrs: string[] }> {
  if (o.provider !== undefined) return { url: o.provider, ipfsAddrs: [] };
  if (of !== undefined) {
    try {
      const found = await findProvider(cove, of);
      return { url: found.url, ipfsAddrs: found.ipfsAddrs };
    } catch (err) {
      // Not registered (any more): the network file's provider may still answer.
      if (!isCoveError(err, 'PROVIDER_NOT_REGISTERED') || network.providerUrl === undefined) throw err;
    }
  }
  if (network.providerUrl === undefined) throw usage('give --provider <url> (the network file names none)');
  return { url: network.providerUrl, ipfsAddrs: [] };
}

/** The id of the asset's first service of `type` and the provider its orders name, from its verified document. */
async function serviceOf(cove: CoveClient, assetId: bigint, type: 'access' | 'compute'): Promise<{ serviceId: number; provider: string; size: number }> {
  const { document } = await getAsset(cove, { assetId });
  const service = document.services.find((s) => s.type === type);
  if (service === undefined) throw new CoveError('SERVICE_NOT_OFFERED', `asset ${assetId} offers no ${type} service`);
  return { serviceId: service.id, provider: document.provider.address, size: document.content.size };
}

function jobLines(job: JobStatusView): string[] {
  return [
    `job              ${job.jobId}`,
    `status           ${job.status}${job.reason ? ` (${job.reason})` : ''}`,
    `result           ${job.resultCid ? `ipfs://${job.resultCid}` : '-'}`,
    `receipt          ${job.receipt.state}${job.receipt.txHash ? ` ${job.receipt.txHash}` : ''}`,
  ];
}

/** A job that did not succeed: its outcome as the exit (1), after its result was printed. */
function jobFailed(job: JobStatusView): CoveError {
  return new CoveError('JOB_FAILED', `job ${job.jobId} ended ${job.status}${job.reason ? `: ${job.reason}` : ''}`, { details: { jobId: job.jobId, status: job.status } });
}

export function registerCompute(program: Command, run: Run): void {
  algorithmSpecOptions(
    program
      .command('compute <assetId...>')
      .description('run an algorithm beside one or more datasets (orders each one unless --order is given)')
      .requiredOption('--algorithm <path>', 'the algorithm: a code file (.py runs with python3, .js with node) or a directory (give --command)'),
  )
    .option('--order <txHash>', 'order transaction(s) to spend, one per asset in order; repeatable', collect, [])
    .option('--provider <url>', 'provider (default: the one the chain names for it, else the network file\'s)')
    .option('--no-wait', 'return once the job is accepted')
    .option('-y, --yes', 'spend the orders without asking (needed where there is no terminal to ask)')
    .addHelpText('after', '\nExamples:\n  cove compute 1 --algorithm ./train --image sha256:… --command \'["python3","/data/transformations/algorithm/main.py"]\'\n  cove compute 1 --algorithm train.py --image sha256:… --yes\n\nIt shows the datatokens it spends (one per asset; a free asset\'s is taken from its dispenser) and the gas,\nthen asks; without a terminal it needs --yes (else CONFIRMATION_REQUIRED, exit 2, nothing spent).')
    .action(
      run(async (opts, assetIds: string[], o: AlgorithmOptions & { algorithm: string; order: string[]; provider?: string; wait: boolean; yes?: boolean }) => {
        const ids = assetIds.map(parseAssetId);
        requireInput(o.algorithm, 'the algorithm');
        if (o.order.length > 0 && o.order.length !== ids.length) throw usage('give one --order per asset, or none');
        await withSession(opts, async ({ cove, network }) => {
          const provider = (await providerOf(cove, o, network, { assetId: ids[0]! })).url;
          const algorithm = algorithmInput(o.algorithm, o);
          // Refuse what the policies refuse before spending any order.
          const checked = await checkAlgorithm(cove, { assetIds: ids, algorithm, provider });
          if (checked.anyAlgorithm.length > 0 && !opts.json) {
            process.stderr.write(`cove: note: asset(s) ${checked.anyAlgorithm.join(', ')} allow ANY algorithm: this code runs without its owner's review, and audits will say so\n`);
          }
          const services = [];
          for (const assetId of ids) services.push(await serviceOf(cove, assetId, 'compute'));
          // What the orders spend, before any is placed: shown, then confirmed (--yes, or asked on a terminal).
          const plans: OrderPlan[] = [];
          for (const [i, assetId] of ids.entries()) if (o.order[i] === undefined) plans.push(await planOrder(cove, { assetId, ...services[i]! }));
          if (plans.length > 0) await confirmSpend({ json: opts.json, ...(o.yes === undefined ? {} : { yes: o.yes }) }, planLines(plans, opts.wei));
          const datasets = [];
          const ordered: string[] = [];
          for (const [i, assetId] of ids.entries()) {
            const { serviceId } = services[i]!;
            const plan = plans.find((p) => p.assetId === assetId && o.order[i] === undefined);
            if (plan !== undefined) await takeFromDispenser(cove, plan);
            const orderTxHash = o.order[i] ?? (await orderAsset(cove, { assetId, serviceId })).txHash;
            if (o.order[i] === undefined) ordered.push(orderTxHash);
            datasets.push({ assetId, orderTxHash, serviceId });
          }
          let started;
          try {
            started = await startCompute(cove, { provider, datasets, algorithm });
          } catch (err) {
            // An order the provider refused is not used up: say how to spend it on a retry.
            if (ordered.length > 0 && err instanceof Error) {
              err.message += ` (your order(s) remain usable until they expire: retry with ${datasets.map((d) => `--order ${d.orderTxHash}`).join(' ')})`;
            }
            throw err;
          }
          // The job id before any waiting, on stderr (stdout stays the result): a job you can find again.
          // The Ctrl-C handler first: a Ctrl-C as soon as the id shows must find it installed.
          const release = o.wait ? leaveJobOnInterrupt(opts.json, started.jobId) : undefined;
          process.stderr.write(`cove: job ${started.jobId} started${o.wait ? ' (Ctrl-C stops waiting, not the job)' : ''}\n`);
          const job = release !== undefined ? (await followJob(cove, { provider, jobId: started.jobId, json: opts.json, logs: false, untilReleased: false, plainStatus: false, release })).job : await getJob(cove, { provider, jobId: started.jobId });
          printResult(opts, job, () => jobLines(job));
          if (o.wait && job.status === 'awaiting_release' && !opts.json) process.stderr.write(`cove: the datasets' owners review the outputs before you get them; follow with: cove job ${job.jobId} --follow\n`);
          if (o.wait && job.status !== 'succeeded' && job.status !== 'awaiting_release') throw jobFailed(job);
        });
      }),
    );

  program
    .command('job <jobId>')
    .description("show a job's status (--wait: until it ends; --follow: live, with its log tail, exiting with its outcome)")
    .option('--provider <url>', 'provider (default: the one the chain names for it, else the network file\'s)')
    .option('--wait', 'wait until it ends (or awaits its owners\' review) and its receipt is on-chain')
    .option('-f, --follow', 'show its state, time and released log tail until it ends (through a review); exit 0 only if it succeeded')
    .addHelpText('after', '\nExamples:\n  cove job 0x…\n  cove job 0x… --wait\n  cove job 0x… --follow\n\nCtrl-C while waiting or following exits 130 and leaves the job running (cove stop <id> stops it).')
    .action(
      run(async (opts, jobId: string, o: { provider?: string; wait?: boolean; follow?: boolean }) => {
        const id = parseJobId(jobId);
        if (o.wait === true && o.follow === true) throw usage('give --wait or --follow, not both');
        await withSession(opts, async ({ cove, network }) => {
          const provider = (await providerOf(cove, o, network, { jobId: id })).url;
          if (o.follow === true) {
            const { job, logs } = await followJob(cove, { provider, jobId: id, json: opts.json, logs: true, untilReleased: true, plainStatus: true });
            printResult(opts, { ...job, logs }, () => jobLines(job));
            if (job.status !== 'succeeded') throw jobFailed(job);
            return;
          }
          const job = o.wait === true ? (await followJob(cove, { provider, jobId: id, json: opts.json, logs: false, untilReleased: false, plainStatus: false })).job : await getJob(cove, { provider, jobId: id });
          printResult(opts, job, () => jobLines(job));
        });
      }),
    );

  program
    .command('jobs')
    .description('list my jobs that have a receipt on-chain, newest first (one log query; running jobs: cove job <id>)')
    .option('--consumer <address>', "another consumer's jobs (default: mine)")
    .addHelpText('after', '\nExamples:\n  cove jobs\n  cove --json jobs | jq -r ".[0].jobId"')
    .action(
      run(async (opts, o: { consumer?: string }) => {
        if (o.consumer !== undefined && !isAddress(o.consumer)) throw usage(`--consumer: not an address: ${o.consumer}`);
        await withSession(opts, async ({ cove }) => {
          const jobs = await listJobs(cove, o.consumer === undefined ? {} : { consumer: o.consumer });
          printResult(opts, jobs, () =>
            jobs.length === 0
              ? ['no jobs with a receipt yet']
              : jobs.map((j) => `${j.jobId}  ${(j.status ?? '?').padEnd(17)} ${new Date(Number(j.finishedAt) * 1000).toISOString()}  block ${j.blockNumber}`),
          );
        });
      }),
    );

  program
    .command('logs <jobId>')
    .description("print the log tail a job's output policy releases (failed, timed-out and out-of-memory jobs too)")
    .option('--provider <url>', 'provider (default: the one the chain names for it, else the network file\'s)')
    .addHelpText('after', '\nExample:\n  cove logs 0x…')
    .action(
      run(async (opts, jobId: string, o: { provider?: string }) => {
        const id = parseJobId(jobId);
        await withSession(opts, async ({ cove, network }) => {
          const result = await getJobLogs(cove, { provider: (await providerOf(cove, o, network, { jobId: id })).url, jobId: id });
          printResult(opts, result, () => [`job ${result.jobId}: ${result.status}`, ...(result.logs === '' ? ['(no logs released)'] : [result.logs.replace(/\n$/, '')])]);
        });
      }),
    );

  program
    .command('stop <jobId>')
    .description('stop a queued or running job')
    .option('--provider <url>', 'provider (default: the one the chain names for it, else the network file\'s)')
    .addHelpText('after', '\nExample:\n  cove stop 0x…')
    .action(
      run(async (opts, jobId: string, o: { provider?: string }) => {
        const id = parseJobId(jobId);
        await withSession(opts, async ({ cove, network }) => {
          const result = await stopJob(cove, { provider: (await providerOf(cove, o, network, { jobId: id })).url, jobId: id });
          printResult(opts, result, () => [`job ${result.jobId}: ${result.status}`]);
        });
      }),
    );

  program
    .command('results <jobId>')
    .description('fetch a job\'s results, decrypt them and check them against the on-chain receipt')
    .requiredOption('--out <dir>', 'directory to create')
    .option('--provider <url>', 'provider (default: the one the chain names for it, else the network file\'s)')
    .addHelpText('after', '\nExample:\n  cove results 0x… --out ./results')
    .action(
      run(async (opts, jobId: string, o: { out: string; provider?: string }) => {
        const id = parseJobId(jobId);
        await withSession(opts, async ({ cove, network }) => {
          const bar = createProgress('results', { enabled: !opts.json });
          const provider = await providerOf(cove, o, network, { jobId: id });
          // Bytes of the encrypted bundle, whose size its IPFS root declares; the plaintext's is known only at its end.
          let total: number | undefined;
          const result = await getResults(cove, {
            provider: provider.url,
            peers: provider.ipfsAddrs,
            jobId: id,
            out: o.out,
            onSize: (bytes) => (total = bytes),
            onProgress: (p) => bar.update(p.ciphertextBytes, total),
          });
          bar.done();
          printResult(opts, result, () => [
            ...result.files.map((f) => `${f.path.padEnd(24)} ${String(f.size).padStart(10)} bytes  sha256 ${f.sha256}`),
            `outputs hash     ${result.outputsHash} (matches the on-chain receipt)`,
            `written to       ${result.dir}`,
          ]);
        });
      }),
    );

  program
    .command('download <assetId>')
    .description("download an asset that offers plain access (orders its access service unless --order; a free asset's datatoken is taken from its dispenser)")
    .requiredOption('--out <file>', 'file to write')
    .option('--order <txHash>', 'order transaction to spend')
    .addHelpText('after', '\nExample:\n  cove download 3 --out data.csv')
    .action(
      run(async (opts, assetId: string, o: { out: string; order?: string }) => {
        const id = parseAssetId(assetId);
        await withSession(opts, async ({ cove }) => {
          const { size, ...service } = await serviceOf(cove, id, 'access');
          const { serviceId } = service;
          if (o.order === undefined) await takeFromDispenser(cove, await planOrder(cove, { assetId: id, ...service }));
          const orderTxHash = o.order ?? (await orderAsset(cove, { assetId: id, serviceId })).txHash;
          const bar = createProgress('download', { enabled: !opts.json });
          const result = await download(cove, { assetId: id, orderTxHash, serviceId, out: o.out, onProgress: (p) => bar.update(p.plaintextBytes, size) });
          bar.done();
          printResult(opts, result, () => [`wrote            ${result.path} (${result.bytes} bytes)`, `content hash     ${result.contentHash} (matches the asset document)`]);
        });
      }),
    );

  program
    .command('publish-model <jobId...>')
    .description('tokenize result files as a model asset whose on-chain lineage names the job(s)')
    .requiredOption('--dir <dir>', 'the model files (e.g. a results directory)')
    .requiredOption('--name <name>', 'asset name')
    .option('--description <text>', 'what the model is')
    .option('--provider <url>', 'provider that serves it (default: the network file\'s)')
    .addHelpText('after', '\nExample:\n  cove publish-model 0x… --dir ./results --name "Churn model v1"')
    .action(
      run(async (opts, jobIds: string[], o: { dir: string; name: string; description?: string; provider?: string }) => {
        const parentJobIds = jobIds.map(parseJobId);
        requireInput(o.dir, 'the model directory');
        await withSession(opts, async ({ cove, network }) => {
          const result = await publishModel(cove, {
            dir: o.dir,
            parentJobIds,
            name: o.name,
            description: o.description ?? `Trained by Cove job(s) ${parentJobIds.join(', ')}.`,
            provider: { url: (await providerOf(cove, o, network)).url },
            services: [{ type: 'access', timeoutSeconds: 86_400 }],
          });
          printResult(opts, result, () => [`model asset      ${result.assetId}`, `lineage          ${parentJobIds.join(', ')}`, `transaction      ${result.txHash}`]);
        });
      }),
    );
}
