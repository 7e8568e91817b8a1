import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { RunLater, type RunLaterProps } from './RunLater.ts';

export interface ExistingNetwork {
  vpcId: string;
  subnetIds: string[];
  availabilityZones: string[];
}

export interface RunLaterStackProps extends StackProps {
  runlater?: RunLaterProps;
  /** Run tasks in an existing VPC, described rather than looked up so synth stays offline. */
  network?: ExistingNetwork;
}

/** runlater as a stack of its own: `npx cdk deploy`. */
export class RunLaterStack extends Stack {
  readonly runlater: RunLater;

  constructor(scope: Construct, id: string, props: RunLaterStackProps = {}) {
    super(scope, id, props);
    let network: Pick<RunLaterProps, 'vpc' | 'taskSubnets'> = {};
    if (props.network) {
      const { vpcId, subnetIds, availabilityZones } = props.network;
      network = {
        vpc: ec2.Vpc.fromVpcAttributes(this, 'ExistingVpc', { vpcId, availabilityZones }),
        taskSubnets: { subnets: subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, id)) },
      };
    }
    this.runlater = new RunLater(this, 'RunLater', { ...network, ...props.runlater });
    new CfnOutput(this, 'ApiUrl', { value: this.runlater.apiUrl, description: 'The runlater API' });
    new CfnOutput(this, 'TokensTable', {
      value: this.runlater.tables.tokens.tableName,
      description: 'Where API token hashes live (`runlater aws first-token` writes the first)',
    });
  }
}
