import {
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsTaskLauncher } from '../../lambdas/adapters/ecs/EcsTaskLauncher.ts';
import { JOB_CONTAINER_NAME, toTaskUpdate } from '../../lambdas/adapters/ecs/taskStateChange.ts';
import { parseStartedBy } from '../../lambdas/core/taskSpec.ts';
import type { TaskUpdate } from '../../lambdas/core/ports.ts';
import { taskStateChangeEvent } from '../support/ecsEvents.ts';
import { MemoryStdinStore } from '../support/coreHarness.ts';
import { attemptSpec, type Program, type TaskLauncherSubject } from './suites/taskLauncherSuite.ts';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/runlater';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/**
 * ECS as far as runlater sees it, behind aws-sdk-client-mock: RunTask honours its clientToken,
 * DescribeTasks and StopTask act on the tasks it started, and each task's state changes come out
 * as the EventBridge events ECS would send, read by the real ECS adapter into task updates.
 */
export function fakeEcsSubject(): TaskLauncherSubject {
  const ecs = mockClient(ECSClient);
  const programs = new Map<string, Program>();
  const byToken = new Map<string, Task>();
  const tasks = new Map<string, Task>();
  const updates: TaskUpdate[] = [];
  let n = 0;

  const emit = (task: Task, extra: { exitCode?: number; containerReason?: string } = {}) => {
    const event = taskStateChangeEvent({
      taskId: task.taskArn!,
      startedBy: task.startedBy!,
      lastStatus: task.lastStatus as 'RUNNING' | 'STOPPED',
      ...(task.createdAt ? { createdAt: task.createdAt.toISOString() } : {}),
      ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
      ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.toISOString() } : {}),
      ...(task.stopCode ? { stopCode: task.stopCode } : {}),
      ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
      ...extra,
    });
    const update = toTaskUpdate(event);
    if (update) updates.push(update);
  };

  const stop = (task: Task, fields: Partial<Task>, exitCode?: number) => {
    Object.assign(task, { lastStatus: 'STOPPED', stoppedAt: new Date(), ...fields });
    task.containers = [{ name: JOB_CONTAINER_NAME, ...(exitCode !== undefined ? { exitCode } : {}) }];
    emit(task, exitCode !== undefined ? { exitCode } : {});
  };

  ecs.on(RunTaskCommand).callsFake(async (input: { clientToken?: string; startedBy?: string }) => {
    const known = byToken.get(input.clientToken!);
    if (known) return { tasks: [known] };
    const task: Task = {
      taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/runlater/${(++n).toString(16).padStart(32, '0')}`,
      startedBy: input.startedBy!,
      lastStatus: 'PROVISIONING',
      createdAt: new Date(),
    };
    byToken.set(input.clientToken!, task);
    tasks.set(task.taskArn!, task);
    const program = programs.get(parseStartedBy(input.startedBy)!.jobId)!;
    // ECS answers first; the task's events follow.
    setImmediate(() => {
      if (program === 'no-image')
        return stop(task, {
          stopCode: 'TaskFailedToStart',
          stoppedReason:
            'CannotPullContainerError: pull image manifest has been retried 5 time(s): ref not found',
        });
      Object.assign(task, { lastStatus: 'RUNNING', startedAt: new Date() });
      emit(task);
      if (program !== 'runs')
        stop(
          task,
          { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
          program.exit,
        );
    });
    return { tasks: [task] };
  });
  ecs.on(StopTaskCommand).callsFake(async (input: { task?: string; reason?: string }) => {
    const task = tasks.get(input.task!);
    if (!task)
      throw Object.assign(new Error('The referenced task was not found.'), {
        name: 'InvalidParameterException',
      });
    if (task.lastStatus !== 'STOPPED')
      setImmediate(() => stop(task, { stopCode: 'UserInitiated', stoppedReason: input.reason! }, 143));
    return { task };
  });
  ecs.on(DescribeTasksCommand).callsFake(async (input: { tasks?: string[] }) => {
    const found = (input.tasks ?? []).map((arn) => tasks.get(arn)).filter((t): t is Task => !!t);
    const missing = (input.tasks ?? []).filter((arn) => !tasks.has(arn));
    return { tasks: found, failures: missing.map((arn) => ({ arn, reason: 'MISSING' })) };
  });

  const config = {
    cluster: CLUSTER,
    network: { subnets: ['subnet-a'], securityGroups: ['sg-1'], assignPublicIp: false },
  };
  const client = new ECSClient({ region: 'eu-west-1', credentials });
  return {
    launcher: new EcsTaskLauncher(client, new MemoryStdinStore(), config),
    updates,
    spec: (program) => {
      const spec = attemptSpec({ image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/job:1' });
      programs.set(spec.jobId, program);
      return spec;
    },
    unavailable: () => {
      // A client of its own whose RunTask ECS throttles, as it does past its launch rate.
      const throttled = {
        send: async () => {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        },
      } as unknown as ECSClient;
      return new EcsTaskLauncher(throttled, new MemoryStdinStore(), config);
    },
    close: async () => ecs.restore(),
  };
}
