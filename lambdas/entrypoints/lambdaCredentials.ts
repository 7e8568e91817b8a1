import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (lib/bundleAliases.ts aliases
 * it here): every client's default credentials. Lambda hands each function its role's credentials
 * in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, the first link of the SDK's own
 * default chain; the rest of that chain (SSO, profiles, web identity, the container and instance
 * endpoints, with the STS and SSO clients they carry) never answers there, and is about 95 KB of
 * every bundle and some of its start. Not used outside the bundles: tests and `runlater dev` keep
 * the SDK's chain.
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
