#!/usr/bin/env node
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RunLaterStack } from '../lib/RunLaterStack.ts';

/**
 * The CDK app: `npx cdk deploy` puts runlater into the account and region of your AWS credentials.
 * It synthesizes offline, with no credentials and no lookups. Context (all optional):
 *   -c vpcId=vpc-… -c subnetIds=subnet-a,subnet-b -c availabilityZones=eu-west-1a,eu-west-1b
 *   -c assignPublicIp=false -c jobRetentionDays=30 -c stackName=RunLater -c alarmEmail=ops@example.com
 *   -c sourceMaps=true
 */
const app = new App();
const ctx = (key: string): string | undefined => app.node.tryGetContext(key) as string | undefined;

const vpcId = ctx('vpcId');
const subnetIds = (ctx('subnetIds') ?? '').split(',').filter(Boolean);
const availabilityZones = (ctx('availabilityZones') ?? '').split(',').filter(Boolean);
if (vpcId && (subnetIds.length === 0 || availabilityZones.length === 0))
  throw new Error('with -c vpcId, give -c subnetIds=subnet-…,… and -c availabilityZones=…,… too');

const stack = new RunLaterStack(app, ctx('stackName') ?? 'RunLater', {
  description: 'runlater: run any container image later',
  ...(vpcId ? { network: { vpcId, subnetIds, availabilityZones } } : {}),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  runlater: {
    ...(ctx('jobRetentionDays') ? { jobRetentionDays: Number(ctx('jobRetentionDays')) } : {}),
    ...(ctx('assignPublicIp') ? { assignPublicIp: ctx('assignPublicIp') === 'true' } : {}),
    ...(ctx('alarmEmail') ? { alarmEmail: ctx('alarmEmail') } : {}),
    ...(ctx('sourceMaps') ? { sourceMaps: String(ctx('sourceMaps')) === 'true' } : {}),
  },
});

Tags.of(stack).add('app', 'runlater');
// cdk-nag's AwsSolutions rules check every synth; what runlater accepts is acknowledged, with
// its reason, on the construct it concerns (lib/nagAcknowledgements.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
