import type { RunTaskCommandInput, RunTaskCommandOutput } from '@aws-sdk/client-ecs';
import type { VirtualTime } from './VirtualTime.ts';

export interface SimEcsOptions {
  ratePerSecond: number;
  burst: number;
  /** Share of accepted RunTask calls that start no task for lack of capacity. */
  capacityFailureRate: number;
  /** RunTask's own latency, uniformly between these, in ms. */
  latencyMs: [number, number];
}

/**
 * ECS's RunTask as a launch-rate token bucket: an empty bucket answers ThrottlingException; an
 * accepted call spends a token and, at `capacityFailureRate`, starts nothing (failures[]); a
 * clientToken seen before answers the task it started, as ECS does. Records every task started.
 */
export class SimEcs {
  private tokens: number;
  private refilledAt: number;
  private readonly byClientToken = new Map<string, string>();
  /** Tasks started per job id: more than one for one attempt is a duplicate launch. */
  readonly tasks = new Map<string, { attempt: number; at: number }[]>();
  calls = 0;
  throttled = 0;
  capacityFailures = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly options: SimEcsOptions,
    private readonly random: () => number,
  ) {
    this.tokens = options.burst;
    this.refilledAt = time.now();
  }

  /** Stands in for ECSClient.send with a RunTaskCommand: only `input` is read. */
  async send(command: { input: RunTaskCommandInput }): Promise<Partial<RunTaskCommandOutput>> {
    const [lo, hi] = this.options.latencyMs;
    await this.time.sleep(lo + this.random() * (hi - lo));
    this.calls++;
    const input = command.input;
    const known = this.byClientToken.get(input.clientToken!);
    if (known) return { tasks: [{ taskArn: known }], failures: [] };
    this.refill();
    if (this.tokens < 1) {
      this.throttled++;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    this.tokens -= 1;
    if (this.random() < this.options.capacityFailureRate) {
      this.capacityFailures++;
      return { tasks: [], failures: [{ reason: 'Capacity is unavailable at this time' }] };
    }
    const tag = (key: string) => input.tags?.find((t) => t.key === key)?.value;
    const [jobId, attempt] = [tag('runlater:job'), tag('runlater:attempt')];
    const taskArn = `arn:aws:ecs:sim:000000000000:task/${input.clientToken}`;
    this.byClientToken.set(input.clientToken!, taskArn);
    const list = this.tasks.get(jobId!) ?? [];
    list.push({ attempt: Number(attempt), at: this.time.now() });
    this.tasks.set(jobId!, list);
    return { tasks: [{ taskArn }], failures: [] };
  }

  private refill(): void {
    const now = this.time.now();
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.refilledAt) / 1000) * this.options.ratePerSecond,
    );
    this.refilledAt = now;
  }
}
