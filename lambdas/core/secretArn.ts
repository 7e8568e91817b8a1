// Apart from schemas.ts (which re-exports it) so the ECS adapter checks a reference without
// loading every schema: the dispatcher's bundle then builds no zod schema at init.

/**
 * On AWS a reference is the ARN of a Secrets Manager secret (optionally with ECS's
 * `:json-key:version-stage:version-id` suffix) or of an SSM parameter, named under `runlater/`:
 * the task execution role may read only those.
 */
export const AWS_SECRET_ARN =
  /^arn:aws[a-z-]*:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:runlater\/[\w/+=.@-]{1,400}(?::[^:\s]*:[^:\s]*:[^:\s]*)?|ssm:[a-z0-9-]+:\d{12}:parameter\/runlater\/[\w/.-]{1,400})$/;
