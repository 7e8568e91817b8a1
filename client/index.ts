/**
 * `@runlater/client`: the typed client of the runlater API, and the way the CLI finds a server.
 *
 * @example
 * import { RunlaterClient, resolveConnection } from '@runlater/client';
 * const client = new RunlaterClient(await resolveConnection());
 * const job = await client.submitJob({ worker: 'echo', stdin: 'hello\n' });
 */
export * from './RunlaterClient.ts';
export {
  DEFAULT_PROFILE,
  devServerPointerPath,
  listProfiles,
  profileName,
  profilePath,
  readProfile,
  removeProfile,
  resolveConnection,
  RunlaterConfigError,
  saveProfile,
  type Connection,
  type Profile,
  type ResolveOptions,
} from './config.ts';
