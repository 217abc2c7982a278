/**
 * A provider process that starts jobs and is then killed (by the recover test): argv[2] is
 * JSON { workRoot, instanceId, imageId, image, jobs: [{ jobId, code }] }. Prints
 * "running <jobId>" as each job's container starts.
 */
import { createDockerEngine } from '../docker-engine.js';

const cfg = JSON.parse(process.argv[2]!) as { workRoot: string; instanceId: string; imageId: string; image: string; jobs: Array<{ jobId: string; code: string }> };
const engine = createDockerEngine({
  workRoot: cfg.workRoot,
  instanceId: cfg.instanceId,
  concurrency: cfg.jobs.length,
  onTransition: (e) => {
    if (e.to === 'running') process.stdout.write(`running ${e.jobId}\n`);
  },
});
for (const job of cfg.jobs) {
  await engine.start({
    jobId: job.jobId,
    image: cfg.image,
    allowedImageIds: [cfg.imageId],
    command: ['node', '/data/transformations/algorithm/main.js'],
    inputs: [],
    algorithm: [{ name: 'main.js', content: job.code }],
    limits: { timeoutMs: 60_000, outputBytes: 1 << 20 },
    outputPolicy: { maxBytes: 1 << 20, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } },
  });
}
setInterval(() => {}, 1000); // stay up until killed
