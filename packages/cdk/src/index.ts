/**
 * `@runlater/cdk`: runlater as a construct for your own CDK app, or as a stack of its own.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { RunLater } from '@runlater/cdk';
 * const stack = new Stack(new App(), 'Jobs');
 * new RunLater(stack, 'RunLater');
 */
export { RunLater, type RunLaterProps } from '../../../lib/RunLater.ts';
export { RunLaterStack, type ExistingNetwork, type RunLaterStackProps } from '../../../lib/RunLaterStack.ts';
