#!/usr/bin/env node
// The `runlater` command. It runs the TypeScript sources through tsx, so a clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli/main.ts');
