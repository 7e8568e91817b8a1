import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { METRICS } from '../lambdas/handlers/jobMetrics.ts';

export interface RunLaterDashboardProps {
  functions: Record<string, lambda.IFunction>;
  dispatchQueue: sqs.IQueue;
  /** The alarm on the dispatch dead-letter queue (RunLaterAlarms makes it). */
  deadLetterAlarm: cloudwatch.IAlarm;
  cluster: ecs.ICluster;
  api: apigw.IHttpApi;
}

/**
 * One page for an operator: jobs by status, queue age, dead letters, dispatch retries and
 * failures, the API's errors and latency, function errors, running tasks.
 */
export class RunLaterDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RunLaterDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const runlater = (
      metricName: string,
      service: string,
      dimensionsMap: Record<string, string>,
      label: string,
    ) =>
      new cloudwatch.Metric({
        namespace: METRICS.namespace,
        metricName,
        dimensionsMap: { service, ...dimensionsMap },
        statistic: 'Sum',
        period,
        label,
      });
    const jobsBy = (status: string) => runlater(METRICS.jobsFinished, METRICS.service, { status }, status);
    const functions = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Jobs finished, by status',
            left: ['succeeded', 'failed', 'timed_out', 'cancelled'].map(jobsBy),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Dispatch queue: age of oldest message (s)',
            left: [props.dispatchQueue.metricApproximateAgeOfOldestMessage({ period })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dispatch: launches put back (throttled, no capacity) and failed',
            left: [
              ...['throttled', 'capacity', 'unavailable'].map((reason) =>
                runlater(METRICS.dispatchRetried, METRICS.dispatcherService, { reason }, reason),
              ),
              runlater(METRICS.dispatchFailed, METRICS.dispatcherService, {}, 'failed'),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'API: 4xx and 5xx answers',
            left: [
              props.api.metricClientError({ period, label: '4xx' }),
              props.api.metricServerError({ period, label: '5xx' }),
            ],
            width: 6,
          }),
          new cloudwatch.GraphWidget({
            title: 'API: latency (ms)',
            left: ['p50', 'p99'].map((statistic) =>
              props.api.metricLatency({ period, statistic, label: statistic }),
            ),
            width: 6,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Jobs started, and where their start time goes (ms, p50 and p99)',
            left: [
              ...['p50', 'p99'].flatMap((statistic) =>
                [METRICS.queueWait, METRICS.startLatency].map(
                  (metricName) =>
                    new cloudwatch.MathExpression({
                      // The metrics carry a `worker` dimension: SEARCH graphs them across workers.
                      expression: `SEARCH('{${METRICS.namespace},service,worker} MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`,
                      label: `${metricName} ${statistic}`,
                      period,
                    }),
                ),
              ),
            ],
            right: [
              new cloudwatch.MathExpression({
                expression: `SUM(SEARCH('{${METRICS.namespace},service,worker} MetricName="${METRICS.jobsStarted}"', 'Sum', ${period.toSeconds()}))`,
                label: 'started',
                period,
              }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Run duration (ms), by final status',
            left: ['succeeded', 'failed', 'timed_out', 'cancelled'].map(
              (status) =>
                new cloudwatch.Metric({
                  namespace: METRICS.namespace,
                  metricName: METRICS.runDuration,
                  dimensionsMap: { service: METRICS.service, status },
                  statistic: 'p50',
                  period,
                  label: `${status} p50`,
                }),
            ),
            width: 12,
          }),
        ],
        [
          new cloudwatch.AlarmWidget({
            title: 'Dead-letter queue depth',
            alarm: props.deadLetterAlarm,
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: functions.map(([name, f]) => f.metricErrors({ period, label: name })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Running tasks',
            left: [
              new cloudwatch.Metric({
                namespace: 'ECS/ContainerInsights',
                metricName: 'RunningTaskCount',
                dimensionsMap: { ClusterName: props.cluster.clusterName },
                statistic: 'Average',
                period,
              }),
            ],
            width: 8,
          }),
        ],
      ],
    });
  }
}
