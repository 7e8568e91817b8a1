import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Loads now and again every `intervalMs` (the console is live by polling the list APIs), keeping the
 * last good data while a later load fails. `deps` start it over; `reload` loads at once; an interval of
 * 0 loads once.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], intervalMs = 2000) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // Read at each turn, so a slower pace (a job that finished) applies without starting over.
  const intervalRef = useRef(intervalMs);
  intervalRef.current = intervalMs;
  const depsKey = JSON.stringify(deps);
  const shownKey = useRef(depsKey);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (shownKey.current !== depsKey) {
      // Other filters or another page of the list: what was shown no longer applies.
      shownKey.current = depsKey;
      setData(undefined);
      setError(undefined);
    }
    let loaded = false;
    const run = async () => {
      // A tab in the background asks nothing (each call is a Lambda call on AWS); it catches up when shown.
      if (loaded && document.hidden) {
        timer = setTimeout(run, intervalRef.current);
        return;
      }
      loaded = true;
      try {
        const value = await loadRef.current();
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(err);
      }
      if (!stopped && intervalRef.current > 0) timer = setTimeout(run, intervalRef.current);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [depsKey, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/** The current time, ticking once a second, for ages and running durations. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** The hash route, e.g. "#/jobs/01H…?status=failed" → { path: ['jobs', '01H…'], params }. */
export function useRoute() {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(search),
  };
}

export function href(path: string[], params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

/** Opens a page; `replace` changes the current history entry instead (a filter typed letter by letter). */
export function go(path: string[], params?: Record<string, string | undefined>, replace = false): void {
  if (replace) window.location.replace(href(path, params));
  else window.location.hash = href(path, params);
}
