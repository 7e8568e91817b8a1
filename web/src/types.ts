// The API's shapes, taken from the server's own schemas (types only: nothing of the server is bundled).
export type {
  Attempt,
  Job,
  LogLine,
  LogsPage,
  Schedule,
  Worker,
  UpdateWorkerRequest,
} from '../../lambdas/core/schemas.ts';
export type { JobStatus } from '../../lambdas/core/jobStatus.ts';

export interface JobList {
  jobs: import('../../lambdas/core/schemas.ts').Job[];
  nextCursor?: string;
}
