import type Docker from 'dockerode';
import { statusOf } from './docker.ts';

/** The network every job container joins: one for the engine, shared by every runlater on it. */
export const JOB_NETWORK = 'runlater-jobs';

/**
 * On Fargate each task has its own network interface and no inbound rule, so jobs cannot reach
 * each other. Here every job joins one bridge network with inter-container traffic turned off:
 * it reaches the host and beyond as on Docker's default bridge, and no other job. One network,
 * not one per job: each bridge takes a subnet from Docker's small pool. It is never removed, like
 * the default bridge. Returns its id (two engines' clients racing to make it may make two: the
 * oldest is used by all).
 */
export async function ensureJobNetwork(docker: Docker): Promise<string> {
  const found = await findJobNetwork(docker);
  if (found) return found;
  try {
    await docker.createNetwork({
      Name: JOB_NETWORK,
      Driver: 'bridge',
      CheckDuplicate: true,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: { 'runlater.network': 'jobs' },
    });
  } catch (err) {
    if (statusOf(err) !== 409) throw err; // made meanwhile by another runner
  }
  const made = await findJobNetwork(docker);
  if (!made) throw new Error(`the Docker network ${JOB_NETWORK} could not be found after creating it`);
  return made;
}

async function findJobNetwork(docker: Docker): Promise<string | undefined> {
  const networks = await docker.listNetworks({ filters: { name: [JOB_NETWORK] } });
  // `name` matches substrings: keep the exact name only.
  const exact = networks
    .filter((n) => n.Name === JOB_NETWORK)
    .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created));
  return exact[0]?.Id;
}
