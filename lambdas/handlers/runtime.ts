import type {
  Clock,
  DeliveryQueue,
  ConcurrencySlots,
  DispatchQueue,
  JobObserver,
  JobStore,
  JobWatcher,
  LogReader,
  ScheduleStore,
  SecretStore,
  ScheduleTrigger,
  StdinStore,
  TaskLauncher,
  WebhookSender,
  WorkerStore,
} from '../core/ports.ts';
import type { TokenStore } from '../core/tokens.ts';
import type { WorkerHook } from '../core/WorkerService.ts';
import type { Route } from './http/route.ts';

/**
 * The adapters a handler runs on. AWS entry points build one from their environment
 * (DynamoDB, SQS, ECS, S3, CloudWatch Logs); `runlater dev` builds one for one machine
 * (dynalite, the local queue, Docker, files). The handlers are the same.
 */
export interface Runtime {
  jobs: JobStore;
  workers: WorkerStore;
  /** The workers' concurrency slots (on AWS and locally: an item per worker in the jobs table). */
  slots: ConcurrencySlots;
  tokens: TokenStore;
  queue: DispatchQueue;
  stdin: StdinStore;
  launcher: TaskLauncher;
  logs: LogReader;
  clock: Clock;
  schedules: ScheduleStore;
  scheduleTrigger: ScheduleTrigger;
  /**
   * Secrets kept by runlater (one machine). Unset on AWS, where secrets live in Secrets Manager or
   * SSM Parameter Store and workers name their ARNs.
   */
  secrets?: SecretStore;
  /** Prepares a worker's infrastructure (on AWS: registers its task definition). */
  onWorkerChanged?: WorkerHook;
  /**
   * Hears every job transition. Unset, the handlers put the JobsFinished metric here; they always
   * add the release of concurrency slots (jobObservers.ts: withJobObservers). Every core built on
   * the runtime passes it on.
   */
  observer?: JobObserver;
  /** Where webhook deliveries are queued (SQS on AWS, a local queue in `runlater dev`). */
  deliveryQueue?: DeliveryQueue;
  /**
   * When a long-poll reads its job again. Unset (AWS): polling with a backoff; `runlater dev`
   * sets one woken by the job's own transitions.
   */
  watcher?: JobWatcher;
  /** Sends webhooks: only the delivery function has one. */
  webhookSender?: WebhookSender;
  /**
   * The OpenAPI document `GET /openapi.json` serves, of the route table it is given. `runlater dev`
   * generates it from the routes' zod schemas (openapi.ts); the API function reads the copy generated
   * the same way when it was bundled (lib/openApiAsset.ts), so zod-openapi is not in its bundle.
   */
  openApiDocument?: (routes: Route[]) => Promise<Record<string, unknown>>;
}
