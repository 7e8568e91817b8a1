import type {
  Clock,
  DeliveryQueue,
  DispatchQueue,
  JobObserver,
  JobStore,
  LogReader,
  ScheduleStore,
  ScheduleTrigger,
  StdinStore,
  TaskLauncher,
  WebhookSender,
  WorkerStore,
} from '../core/ports.ts';
import type { TokenStore } from '../core/tokens.ts';
import type { WorkerHook } from '../core/WorkerService.ts';

/**
 * The adapters a handler runs on. AWS entry points build one from their environment
 * (DynamoDB, SQS, ECS, S3, CloudWatch Logs); `runlater dev` builds one for one machine
 * (dynalite, the local queue, Docker, files). The handlers are the same.
 */
export interface Runtime {
  jobs: JobStore;
  workers: WorkerStore;
  tokens: TokenStore;
  queue: DispatchQueue;
  stdin: StdinStore;
  launcher: TaskLauncher;
  logs: LogReader;
  clock: Clock;
  schedules: ScheduleStore;
  scheduleTrigger: ScheduleTrigger;
  /** Prepares a worker's infrastructure (on AWS: registers its task definition). */
  onWorkerChanged?: WorkerHook;
  /**
   * Hears every job transition. Unset, the handlers put the JobsFinished metric here
   * (jobMetrics.ts: withJobMetrics); every core built on the runtime passes it on.
   */
  observer?: JobObserver;
  /** Publishes every job transition (EventBridge on AWS; nothing locally). */
  events?: JobObserver;
  /** Where webhook deliveries are queued (SQS on AWS, a local queue in `runlater dev`). */
  deliveryQueue?: DeliveryQueue;
  /** Sends webhooks: only the delivery function has one. */
  webhookSender?: WebhookSender;
}
