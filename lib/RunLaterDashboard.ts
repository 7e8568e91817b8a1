import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { METRICS } from '../lambdas/handlers/taskStatus.ts';

export interface RunLaterDashboardProps {
  functions: lambda.IFunction[];
  dispatchQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  cluster: ecs.ICluster;
}

/** One page for an operator: jobs by status, queue age, dead letters, function errors, running tasks. */
export class RunLaterDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RunLaterDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'runlater: messages in the dispatch dead-letter queue: jobs that could not be started',
      metric: deadLetters,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const jobsBy = (status: string) =>
      new cloudwatch.Metric({
        namespace: METRICS.namespace,
        metricName: METRICS.jobsFinished,
        dimensionsMap: { service: METRICS.service, status },
        statistic: 'Sum',
        period,
        label: status,
      });
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
          new cloudwatch.AlarmWidget({
            title: 'Dead-letter queue depth',
            alarm: this.deadLetterAlarm,
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: props.functions.map((f) => f.metricErrors({ period, label: f.node.id })),
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
