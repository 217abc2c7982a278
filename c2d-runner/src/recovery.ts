import { readdir, stat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { LABEL_ENGINE, LABEL_JOB } from './container.js';
import { engineUnavailable, type DockerApi } from './docker-api.js';
import type { RecoveredJob } from './types.js';
import { workspacePaths } from './workspace.js';

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * What an earlier process of engine `instanceId` left behind: its labelled containers (with
 * exit code and OOM flag once exited) and workspace directories under `root` without one.
 * Jobs this process already manages (`managed`) are left out.
 *
 * @example
 * const left = await findRecoverable({ docker, root, instanceId, managed: (id) => jobs.has(id) })
 */
export async function findRecoverable(params: { docker: Pick<DockerApi, 'listContainers' | 'getContainer'>; root: string; instanceId: string; managed: (jobId: string) => boolean }): Promise<RecoveredJob[]> {
  const { docker, root, managed } = params;
  let listed: Docker.ContainerInfo[];
  try {
    listed = await docker.listContainers({ all: true, filters: { label: [`${LABEL_ENGINE}=${params.instanceId}`] } });
  } catch (err) {
    throw engineUnavailable(err, 'listing containers');
  }
  const found: RecoveredJob[] = [];
  const seen = new Set<string>();
  for (const c of listed) {
    const jobId = c.Labels?.[LABEL_JOB];
    if (!jobId || managed(jobId)) continue;
    seen.add(jobId);
    const known = ['running', 'exited', 'created'].includes(c.State) ? (c.State as 'running' | 'exited' | 'created') : 'other';
    const entry: RecoveredJob = { jobId, containerId: c.Id, container: known, workspace: await exists(workspacePaths(root, jobId).dir) };
    if (known === 'exited') {
      const s = (await docker.getContainer(c.Id).inspect()).State;
      entry.exitCode = s.ExitCode;
      entry.oomKilled = s.OOMKilled;
    }
    found.push(entry);
  }
  const dirs = await readdir(root).catch(() => [] as string[]);
  for (const jobId of dirs) {
    if (!seen.has(jobId) && !managed(jobId)) found.push({ jobId, containerId: null, container: 'missing', workspace: true });
  }
  return found;
}
