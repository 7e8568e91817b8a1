import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface RunLaterAlarmsProps {
  /** Where alarms go. Default: a topic of the stack's own. */
  topic?: sns.ITopic;
  /** Subscribed to the stack's own topic (not to a given one: its owner manages it). */
  email?: string;
  functions: Record<string, lambda.IFunction>;
  /** Dead-letter queues, by name, each alarmed when it holds anything. */
  deadLetterQueues: Record<string, sqs.IQueue>;
}

/**
 * What an operator must hear about: a dead letter (a job or a task event runlater gave up on),
 * a function that fails, a function that Lambda throttles. All notify one SNS topic.
 */
export class RunLaterAlarms extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The alarm of each dead-letter queue, by the name it was given. */
  readonly deadLetterAlarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: RunLaterAlarmsProps) {
    super(scope, id);
    if (props.topic) this.topic = props.topic;
    else {
      const topic = new sns.Topic(this, 'Topic', {
        displayName: 'runlater alarms',
        enforceSSL: true,
      });
      if (props.email) topic.addSubscription(new subscriptions.EmailSubscription(props.email));
      this.topic = topic;
    }
    const period = Duration.minutes(5);
    const alarm = (name: string, description: string, metric: cloudwatch.IMetric) => {
      const made = new cloudwatch.Alarm(this, name, {
        alarmDescription: `runlater: ${description}`,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(made);
      return made;
    };
    for (const [name, queue] of Object.entries(props.deadLetterQueues))
      this.deadLetterAlarms[name] = alarm(
        `${name}DeadLetters`,
        `messages in the ${name} dead-letter queue`,
        queue.metricApproximateNumberOfMessagesVisible({ period }),
      );
    for (const [name, fn] of Object.entries(props.functions)) {
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}`;
      alarm(`${id}Errors`, `the ${name} function failed`, fn.metricErrors({ period, statistic: 'Sum' }));
      alarm(
        `${id}Throttles`,
        `Lambda throttled the ${name} function`,
        fn.metricThrottles({ period, statistic: 'Sum' }),
      );
    }
    const action = new actions.SnsAction(this.topic);
    for (const a of this.alarms) a.addAlarmAction(action);
  }
}
