import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * The web console on AWS, served by the API function itself (lambdas/handlers/http/webConsole.ts):
 * no bucket, no CDN, no new public resource. Its built files ride in the API function's bundle, and
 * one more route sends `GET /` to the function, since `/{proxy+}` does not match the bare root.
 */
export const consoleBundlingHooks: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir: string, outputDir: string) => [
    // A clean clone has no web/dist yet: build it (quick when it is already up to date).
    `node "${inputDir}/scripts/build-web.mjs" --if-stale`,
    `test -f "${inputDir}/web/dist/index.html"`,
    `cp -R "${inputDir}/web/dist" "${outputDir}/console"`,
  ],
};

/** `GET /` to the API function: the sign-in page. Everything else already reaches it through `/{proxy+}`. */
export function routeConsole(api: apigw.HttpApi, integration: apigw.HttpRouteIntegration): void {
  api.addRoutes({ path: '/', methods: [apigw.HttpMethod.GET], integration });
}
