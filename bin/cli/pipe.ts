import type { Command } from 'commander';
import type { Job } from '../../client/RunlaterClient.ts';
import { readStdinArg, type Connect } from './options.ts';
import { emit, examples, outputOption, type Format } from './output.ts';
import { runJob } from './run.ts';

/** `runlater pipe W1 W2 W3`: one job per worker, each one's stdout the next one's stdin. */
export function registerPipe(program: Command, connect: Connect): void {
  program
    .command('pipe')
    .description(
      "Queue a chain of jobs, one per worker, each one's stdout the next one's stdin (as a shell pipe does)",
    )
    .argument('<workers...>', 'the workers, in order')
    .option('--stdin <file>', "the first job's stdin: a file, or - for this command's standard input")
    .option('--wait', 'wait for the last job, print its output, and exit with its exit code')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'runlater pipe fetch resize upload --stdin urls.txt --wait',
        'runlater pipe extract count --stdin data.csv -o json',
      ),
    )
    .action(async (workers: string[], opts: { stdin?: string; wait?: boolean; output: Format }) => {
      const client = await connect();
      const stdin = opts.stdin !== undefined ? await readStdinArg(opts.stdin) : undefined;
      const jobs: Job[] = [];
      for (const [i, worker] of workers.entries()) {
        const previous = jobs[i - 1];
        jobs.push(
          await client.submitJob({
            worker,
            ...(previous
              ? { stdinFrom: previous.id }
              : stdin
                ? { stdinBase64: stdin.toString('base64') }
                : {}),
          }),
        );
      }
      const last = jobs.at(-1)!;
      if (!opts.wait) {
        emit(opts.output, jobs, () => process.stdout.write(`${jobs.map((j) => j.id).join('\n')}\n`));
        return;
      }
      process.exitCode = await runJob(client, last, { output: opts.output });
    });
}
