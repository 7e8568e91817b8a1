import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LogQuery, LogReader } from '../../../lambdas/core/ports.ts';
import type { LogLine } from '../../../lambdas/core/schemas.ts';

export interface WrittenLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** What a log reader implementation gives the suite. */
export interface LogReaderSubject {
  reader: LogReader;
  /** Runs (or fakes) a task that writes `lines` in this order and ends; answers where to read them. */
  taskThatWrote(lines: WrittenLine[]): Promise<Pick<LogQuery, 'jobId' | 'attempt' | 'taskId'>>;
  /** A task that never wrote anything (never started). */
  silentTask(): Pick<LogQuery, 'jobId' | 'attempt' | 'taskId'>;
  close(): Promise<void>;
}

const WRITTEN: WrittenLine[] = [
  ...['one', 'two', 'three', 'four', 'five', 'six', 'seven'].map((text) => ({
    stream: 'stdout' as const,
    text,
  })),
  ...['warn: α', 'warn: β', 'warn: γ'].map((text) => ({ stream: 'stderr' as const, text })),
];

/**
 * The LogReader contract the logs API relies on: a task's lines in order with their stream,
 * filtered by stream, paged by cursor without loss or repeat, a cursor at the end that can be
 * followed (read again later), and nothing (not an error) for a task that wrote nothing.
 */
export function logReaderConformance(name: string, open: () => Promise<LogReaderSubject>): void {
  describe(`LogReader conformance: ${name}`, () => {
    let subject: LogReaderSubject;
    let task: Pick<LogQuery, 'jobId' | 'attempt' | 'taskId'>;
    before(async () => {
      subject = await open();
      task = await subject.taskThatWrote(WRITTEN);
    });
    after(() => subject.close());

    const texts = (lines: LogLine[], stream?: string) =>
      lines.filter((l) => !stream || l.stream === stream).map((l) => l.text);

    /** Every page from the start with `limit`, joined, and the cursor the last page ended at. */
    async function readAll(stream: LogQuery['stream'], limit: number) {
      const lines: LogLine[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const out = await subject.reader.read({ ...task, stream, limit, ...(cursor ? { cursor } : {}) });
        assert.ok(out.lines.length <= limit, `a page of ${limit} had ${out.lines.length} lines`);
        lines.push(...out.lines);
        if (out.lines.length === 0) return { lines, cursor: out.nextCursor };
        cursor = out.nextCursor;
      }
      throw new Error('the pages never ended');
    }

    it('gives every line with its stream and time, each stream in the order written', async () => {
      const { lines } = await readAll('all', 1000);
      assert.equal(lines.length, WRITTEN.length);
      for (const stream of ['stdout', 'stderr'] as const)
        assert.deepEqual(texts(lines, stream), texts(WRITTEN as LogLine[], stream));
      for (const l of lines) assert.ok(!Number.isNaN(Date.parse(l.timestamp)), l.timestamp);
    });

    it('gives one stream alone when asked', async () => {
      for (const stream of ['stdout', 'stderr'] as const) {
        const { lines } = await readAll(stream, 1000);
        assert.deepEqual(texts(lines), texts(WRITTEN as LogLine[], stream));
        assert.ok(lines.every((l) => l.stream === stream));
      }
    });

    it('pages by cursor without losing or repeating a line', async () => {
      const whole = texts((await readAll('all', 1000)).lines);
      for (const limit of [1, 3]) assert.deepEqual(texts((await readAll('all', limit)).lines), whole);
    });

    it('answers a cursor at the end with no lines and a cursor to follow from', async () => {
      const { cursor } = await readAll('all', 4);
      for (let again = 0; again < 2; again++) {
        const out = await subject.reader.read({ ...task, stream: 'all', limit: 10, cursor });
        assert.deepEqual(out.lines, []);
        assert.equal(typeof out.nextCursor, 'string');
      }
    });

    it('answers a task that wrote nothing with no lines, not an error', async () => {
      const out = await subject.reader.read({ ...subject.silentTask(), stream: 'all', limit: 10 });
      assert.deepEqual(out.lines, []);
    });
  });
}
