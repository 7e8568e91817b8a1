import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RunLaterStack } from '../../lib/RunLaterStack.ts';

/**
 * The console on AWS: `GET /` reaches the same API function as every other route, through the same
 * integration; nothing else public appears (no bucket website, no CDN, no second function or API).
 * The synth test checks that the built files are in that function's bundle.
 */
describe('the web console in the CDK template', () => {
  let template: Template;
  before(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(new RunLaterStack(app, 'RunLater'));
  });

  it('routes GET / and every other path to the one API integration, with no other way in', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    assert.deepEqual(routes.map((r) => r.Properties.RouteKey).sort(), ['ANY /{proxy+}', 'GET /']);
    const targets = new Set(routes.map((r) => JSON.stringify(r.Properties.Target)));
    assert.equal(targets.size, 1, 'both routes go to the same integration');
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const integration = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'))[0]!;
    const apiFunction = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([, f]) => f.Properties.Description === 'runlater: the HTTP API',
    )![0];
    assert.match(JSON.stringify(integration.Properties.IntegrationUri), new RegExp(apiFunction));
  });

  it('adds no public bucket, website or CDN for it', () => {
    template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      assert.equal(bucket.Properties.WebsiteConfiguration, undefined);
      assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });
});
