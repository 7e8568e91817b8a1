import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toTaskUpdate as fromDocker, type LocalTaskState } from '../../lambdas/adapters/docker/taskEvents.ts';
import { toTaskUpdate as fromEcs } from '../../lambdas/adapters/ecs/taskStateChange.ts';
import type { TaskStopCause, TaskUpdate } from '../../lambdas/core/ports.ts';
import { CANCEL_STOP_REASON, startedByFor } from '../../lambdas/core/taskSpec.ts';
import { taskStateChangeEvent, type EcsTaskFacts } from '../support/ecsEvents.ts';

const JOB = '01m81j18g0m0fjn8by9wsx69je';
const STARTED = '2026-11-22T12:00:01.000Z';
const STOPPED = '2026-11-22T12:00:05.000Z';

/**
 * Each runner's adapter turns its own words into the same neutral update: the core sees one
 * vocabulary whichever runner ran the task. Each case is one situation, as ECS and as the Docker
 * runner report it, and the cause and exit code the core must get.
 */
const SITUATIONS: {
  what: string;
  ecs: Partial<EcsTaskFacts>;
  docker: Partial<LocalTaskState>;
  cause: TaskStopCause;
  exitCode: number | null;
}[] = [
  {
    what: 'the program exited by itself',
    ecs: {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCode: 3,
    },
    docker: { cause: 'exited', stoppedReason: 'the container exited', exitCode: 3 },
    cause: 'exited',
    exitCode: 3,
  },
  {
    what: 'the program was killed for its memory',
    ecs: {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      exitCode: 137,
    },
    docker: { cause: 'out-of-memory', stoppedReason: 'OutOfMemoryError: killed', exitCode: 137 },
    cause: 'out-of-memory',
    exitCode: 137,
  },
  {
    what: 'runlater stopped it (cancel)',
    ecs: { stopCode: 'UserInitiated', stoppedReason: CANCEL_STOP_REASON, exitCode: 143 },
    docker: { cause: 'stopped-by-request', stoppedReason: CANCEL_STOP_REASON, exitCode: 137 },
    cause: 'stopped-by-request',
    exitCode: null, // the exit code is the runner's own (SIGTERM or SIGKILL): not compared
  },
  {
    what: 'the image does not exist',
    ecs: {
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
    },
    docker: { cause: 'start-failed', stoppedReason: 'CannotPullContainerError: x:1: manifest unknown' },
    cause: 'start-failed',
    exitCode: null,
  },
  {
    what: 'the image could not be pulled now',
    ecs: { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: dial tcp: i/o timeout' },
    docker: { cause: 'infrastructure', stoppedReason: 'CannotPullContainerError: x:1: connection refused' },
    cause: 'infrastructure',
    exitCode: null,
  },
];

describe('task updates: ECS events and the Docker runner say the same things the same way', () => {
  for (const s of SITUATIONS) {
    it(s.what, () => {
      const ecs = fromEcs(
        taskStateChangeEvent({
          taskId: 'arn:aws:ecs:eu-west-1:123456789012:task/runlater/abc',
          startedBy: startedByFor(JOB, 2),
          lastStatus: 'STOPPED',
          createdAt: '2026-11-22T12:00:00.000Z',
          pullStartedAt: '2026-11-22T12:00:00.100Z',
          pullStoppedAt: '2026-11-22T12:00:00.900Z',
          ...(s.ecs.exitCode !== undefined ? { startedAt: STARTED } : {}),
          stoppedAt: STOPPED,
          ...s.ecs,
        }),
      )!;
      const docker = fromDocker({
        taskId: 'runlater-abc',
        startedBy: startedByFor(JOB, 2),
        lastStatus: 'STOPPED',
        createdAt: '2026-11-22T12:00:00.000Z',
        ...(s.docker.exitCode !== undefined ? { startedAt: STARTED } : {}),
        stoppedAt: STOPPED,
        ...s.docker,
      });
      for (const [runner, update] of [
        ['ECS', ecs],
        ['Docker', docker],
      ] as [string, TaskUpdate][]) {
        assert.equal(update.state, 'stopped', runner);
        assert.equal(update.jobId, JOB, runner);
        assert.equal(update.attempt, 2, runner);
        assert.equal(update.cause, s.cause, runner);
        if (s.cause !== 'stopped-by-request') assert.equal(update.exitCode ?? null, s.exitCode, runner);
        assert.equal(update.at.toISOString(), STOPPED, runner);
        assert.equal(update.phases?.stoppedAt?.toISOString(), STOPPED, runner);
        assert.ok((update.reason ?? '').length > 0, runner);
      }
      assert.equal(ecs.phases?.pullStartedAt?.toISOString(), '2026-11-22T12:00:00.100Z');
      assert.equal(ecs.phases?.pullStoppedAt?.toISOString(), '2026-11-22T12:00:00.900Z');
    });
  }

  it('a task ECS stopped for its own reasons, with no exit code, is lost: it may have run', () => {
    const update = fromEcs(
      taskStateChangeEvent({
        taskId: 'arn:task/x',
        startedBy: startedByFor(JOB, 1),
        lastStatus: 'STOPPED',
        startedAt: STARTED,
        stoppedAt: STOPPED,
        stopCode: 'SpotInterruption',
        stoppedReason: 'Your Spot Task was interrupted.',
      }),
    );
    assert.equal(update?.cause, 'lost');
  });

  it('an ended-task record from before causes existed still reads right (ECS stop codes on disk)', () => {
    const update = fromDocker({
      taskId: 'runlater-old',
      startedBy: startedByFor(JOB, 1),
      lastStatus: 'STOPPED',
      stoppedAt: STOPPED,
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: x: pull access denied',
    });
    assert.equal(update.cause, 'start-failed');
  });

  it('running, as both report it, carries the start time', () => {
    const ecs = fromEcs(
      taskStateChangeEvent({
        taskId: 'arn:task/y',
        startedBy: startedByFor(JOB, 1),
        lastStatus: 'RUNNING',
        startedAt: STARTED,
      }),
    );
    const docker = fromDocker({
      taskId: 'runlater-y',
      startedBy: startedByFor(JOB, 1),
      lastStatus: 'RUNNING',
      startedAt: STARTED,
    });
    for (const update of [ecs!, docker]) {
      assert.equal(update.state, 'running');
      assert.equal(update.phases?.startedAt?.toISOString(), STARTED);
    }
  });
});
