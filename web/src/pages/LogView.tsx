import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { api, query } from '../api.ts';
import type { LogLine, LogsPage } from '../types.ts';

/** Lines asked for per request, and how many stay on the page while following (older ones reload on scroll). */
const PAGE = 500;
const KEEP = 3000;

/** A piece of output as one request returned it: its cursor lets it be read again once dropped. */
interface Chunk {
  start: string;
  count: number;
  lines?: LogLine[];
}

type Stream = 'all' | 'stdout' | 'stderr';

/**
 * A job attempt's output, live: follows the logs API's cursor while the attempt runs (on by default,
 * off as soon as the reader scrolls up), and, since the API reads forward only, keeps the cursor of
 * every chunk it read so that lines dropped to keep the page light are read again on scrolling up.
 * Everything is rendered as text nodes; a line that is not UTF-8 (`base64`) is decoded for display
 * with replacement characters and marked.
 */
export function LogView({ jobId, attempt }: { jobId: string; attempt: number }) {
  const [stream, setStream] = useState<Stream>('all');
  const [follow, setFollow] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const state = useRef({ chunks: [] as Chunk[], lo: 0, tail: '', complete: false, loadingOlder: false });
  const box = useRef<HTMLDivElement>(null);
  const followRef = useRef(follow);
  followRef.current = follow;
  const heightBeforePrepend = useRef<number | undefined>(undefined);

  useEffect(() => {
    state.current = { chunks: [], lo: 0, tail: '', complete: false, loadingOlder: false };
    setError(undefined);
    rerender();
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = async () => {
      const s = state.current;
      let full = false;
      try {
        const page = await api<LogsPage>(
          'GET',
          `/v1/jobs/${encodeURIComponent(jobId)}/logs${query({ stream, attempt, limit: PAGE, cursor: s.tail || undefined })}`,
        );
        if (stopped) return;
        if (page.lines.length > 0)
          s.chunks.push({ start: s.tail, count: page.lines.length, lines: page.lines });
        s.tail = page.nextCursor;
        s.complete = page.complete;
        full = page.lines.length === PAGE;
        if (followRef.current) trim(s);
        setError(undefined);
        rerender();
      } catch (err) {
        if (stopped) return;
        setError((err as Error).message);
      }
      if (!state.current.complete) timer = setTimeout(step, full ? 0 : 1000);
    };
    void step();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [jobId, attempt, stream]);

  const s = state.current;
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (heightBeforePrepend.current !== undefined) {
      // Older lines went in above: keep the lines the reader was looking at where they were.
      el.scrollTop += el.scrollHeight - heightBeforePrepend.current;
      heightBeforePrepend.current = undefined;
    } else if (follow) el.scrollTop = el.scrollHeight;
  });

  const loadOlder = async () => {
    if (s.lo === 0 || s.loadingOlder) return;
    s.loadingOlder = true;
    const chunk = s.chunks[s.lo - 1]!;
    try {
      const page = await api<LogsPage>(
        'GET',
        `/v1/jobs/${encodeURIComponent(jobId)}/logs${query({ stream, attempt, limit: chunk.count, cursor: chunk.start || undefined })}`,
      );
      if (state.current !== s) return;
      chunk.lines = page.lines;
      s.lo -= 1;
      heightBeforePrepend.current = box.current?.scrollHeight;
      rerender();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      s.loadingOlder = false;
    }
  };

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    if (!atBottom && follow) setFollow(false);
    if (el.scrollTop < 40) void loadOlder();
  };

  const visible = s.chunks.slice(s.lo);
  const count = visible.reduce((n, c) => n + (c.lines?.length ?? 0), 0);
  return (
    <section className="logs" aria-label={`Output of attempt ${attempt}`}>
      <div className="log-tools">
        <label>
          Stream{' '}
          <select name="stream" value={stream} onChange={(e) => setStream(e.target.value as Stream)}>
            <option value="all">stdout and stderr</option>
            <option value="stdout">stdout</option>
            <option value="stderr">stderr</option>
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="follow"
            checked={follow}
            onChange={(e) => {
              setFollow(e.target.checked);
              if (e.target.checked) trim(s);
            }}
          />{' '}
          Follow
        </label>
        <span className="log-state" role="status">
          {s.complete ? 'complete' : 'live'} · {count} line{count === 1 ? '' : 's'}
          {s.lo > 0 ? ' (scroll up for older)' : ''}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          Output: {error}
        </p>
      )}
      <div className="log" ref={box} onScroll={onScroll} tabIndex={0} role="log" aria-label="Output lines">
        {s.lo > 0 && (
          <button type="button" className="older" onClick={() => void loadOlder()}>
            Load older lines
          </button>
        )}
        {visible.map((chunk, ci) =>
          chunk.lines?.map((line, li) => <Line key={`${s.lo + ci}:${li}`} line={line} />),
        )}
        {count === 0 && <p className="empty">{s.complete ? 'No output.' : 'Waiting for output…'}</p>}
      </div>
    </section>
  );
}

/** Drops the oldest chunks' lines (keeping their cursors) so that at most KEEP lines stay on the page. */
function trim(s: { chunks: Chunk[]; lo: number }): void {
  let total = s.chunks.slice(s.lo).reduce((n, c) => n + (c.lines?.length ?? 0), 0);
  while (total > KEEP && s.lo < s.chunks.length - 1) {
    total -= s.chunks[s.lo]!.lines?.length ?? 0;
    s.chunks[s.lo]!.lines = undefined;
    s.lo += 1;
  }
}

function Line({ line }: { line: LogLine }) {
  const binary = line.base64 !== undefined;
  const text = binary ? decodeBinary(line.base64!) : (line.text ?? '');
  return (
    <div className={`line ${line.stream}`} data-stream={line.stream}>
      <time dateTime={line.timestamp}>{line.timestamp.slice(11, 23)}</time>
      <span className="tag">{line.stream === 'stderr' ? 'err' : 'out'}</span>
      {binary && (
        <span className="bin" title="Not UTF-8: shown decoded with replacement characters">
          bytes
        </span>
      )}
      <span className="text">{text}</span>
    </div>
  );
}

/** Bytes that are not UTF-8, made readable: invalid sequences and control characters become U+FFFD. */
function decodeBinary(b64: string): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  // eslint-disable-next-line no-control-regex
  return new TextDecoder('utf-8').decode(bytes).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}
