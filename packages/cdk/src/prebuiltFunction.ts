import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

// Stands in for aws-cdk-lib/aws-lambda-nodejs inside the published @runlater/cdk (the package build
// aliases it; see scripts/build.mjs). A user's `cdk synth` then needs neither esbuild nor our
// TypeScript sources: each function's code was bundled, with the same options, when the package
// was built, into lambdas/<entry name>/index.mjs next to this bundle's folder.
const LAMBDAS = fileURLToPath(new URL('../lambdas/', import.meta.url));

export const OutputFormat = { CJS: 'cjs', ESM: 'esm' } as const;

export class NodejsFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    const { entry, bundling: _bundling, runtime, ...rest } = props;
    const dir = `${LAMBDAS}${basename(entry ?? '', '.ts')}`;
    if (!existsSync(`${dir}/index.mjs`)) throw new Error(`@runlater/cdk: no prebuilt code in ${dir}`);
    super(scope, id, {
      ...rest,
      runtime: runtime ?? lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(dir),
    });
  }
}
