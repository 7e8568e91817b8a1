import { useEffect, useState, type FormEvent } from 'react';
import type { Access } from '../App.tsx';
import { api, ApiError } from '../api.ts';
import { Problem } from '../components.tsx';
import { formatEnv, parseEnv } from '../format.ts';
import { go, href } from '../hooks.ts';
import type { Worker } from '../types.ts';

const CPUS = [256, 512, 1024, 2048, 4096, 8192, 16384];
const BACKOFFS = ['none', '1m', '10m', '1h'];

interface Fields {
  name: string;
  image: string;
  command: string;
  env: string;
  cpu: string;
  memory: string;
  timeoutSeconds: string;
  maxAttempts: string;
  backoff: string;
}

/**
 * Creates a worker (POST) or replaces its settings (PUT, which takes them all): settings this form
 * does not show (retry exit codes, task role, a list of backoff delays, concurrency limit and
 * priority) are sent back unchanged.
 */
export function WorkerForm({ name, access }: { name?: string; access: Access }) {
  const [current, setCurrent] = useState<Worker | undefined>(undefined);
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const [f, setF] = useState<Fields>({
    name: '',
    image: '',
    command: '',
    env: '',
    cpu: '256',
    memory: '512',
    timeoutSeconds: '3600',
    maxAttempts: '1',
    backoff: 'none',
  });
  const [error, setError] = useState<{ message: string; field?: string } | undefined>(undefined);
  useEffect(() => {
    if (!name) return;
    api<Worker>('GET', `/v1/workers/${encodeURIComponent(name)}`).then((w) => {
      setCurrent(w);
      setF({
        name: w.name,
        image: w.image,
        command: (w.command ?? []).join('\n'),
        env: formatEnv(w.env),
        cpu: String(w.cpu),
        memory: String(w.memory),
        timeoutSeconds: String(w.timeoutSeconds),
        maxAttempts: String(w.retry.maxAttempts),
        backoff: Array.isArray(w.retry.backoff) ? 'list' : w.retry.backoff,
      });
    }, setLoadError);
  }, [name]);

  if (access !== 'admin') return <p className="notice">Creating and editing workers needs an admin token.</p>;
  if (loadError !== undefined) return <Problem error={loadError} what="this worker" />;
  if (name && !current) return <p className="loading">Loading…</p>;

  const set = (k: keyof Fields) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const command = f.command.split('\n').filter((l) => l !== '');
    const body = {
      image: f.image.trim(),
      ...(command.length ? { command } : {}),
      env: parseEnv(f.env),
      cpu: Number(f.cpu),
      memory: Number(f.memory),
      timeoutSeconds: Number(f.timeoutSeconds),
      retry: {
        ...current?.retry,
        maxAttempts: Number(f.maxAttempts),
        backoff: f.backoff === 'list' ? current!.retry.backoff : f.backoff,
      },
      ...(current?.taskRoleArn ? { taskRoleArn: current.taskRoleArn } : {}),
      ...(current?.maxConcurrency !== undefined ? { maxConcurrency: current.maxConcurrency } : {}),
      ...(current?.priority !== undefined ? { priority: current.priority } : {}),
    };
    try {
      const saved = name
        ? await api<Worker>('PUT', `/v1/workers/${encodeURIComponent(name)}`, body)
        : await api<Worker>('POST', '/v1/workers', { name: f.name.trim(), ...body });
      go(['workers', saved.name]);
    } catch (err) {
      setError(
        err instanceof ApiError ? { message: err.message, field: err.field } : { message: String(err) },
      );
    }
  };
  const invalid = (field: string) => (error?.field?.split('.')[0] === field ? true : undefined);

  return (
    <section aria-labelledby="worker-form-title">
      <p className="crumbs">
        <a href={href(['workers'])}>Workers</a>
      </p>
      <h1 id="worker-form-title">{name ? `Edit worker ${name}` : 'New worker'}</h1>
      <form className="stacked" onSubmit={submit} noValidate>
        <label>
          Name
          <input
            name="name"
            required
            disabled={Boolean(name)}
            value={f.name}
            onChange={set('name')}
            aria-invalid={invalid('name')}
          />
        </label>
        <label>
          Image
          <input
            name="image"
            required
            value={f.image}
            onChange={set('image')}
            aria-invalid={invalid('image')}
            placeholder="busybox:1.36"
          />
        </label>
        <label>
          Command (one argument a line; empty: the image's ENTRYPOINT and CMD)
          <textarea
            name="command"
            rows={3}
            value={f.command}
            onChange={set('command')}
            aria-invalid={invalid('command')}
          />
        </label>
        <label>
          Env (one NAME=value a line)
          <textarea name="env" rows={3} value={f.env} onChange={set('env')} aria-invalid={invalid('env')} />
        </label>
        <div className="row">
          <label>
            CPU units
            <select name="cpu" value={f.cpu} onChange={set('cpu')}>
              {CPUS.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            Memory (MiB)
            <input
              name="memory"
              type="number"
              min={512}
              value={f.memory}
              onChange={set('memory')}
              aria-invalid={invalid('memory')}
            />
          </label>
          <label>
            Timeout (s)
            <input
              name="timeoutSeconds"
              type="number"
              min={1}
              value={f.timeoutSeconds}
              onChange={set('timeoutSeconds')}
              aria-invalid={invalid('timeoutSeconds')}
            />
          </label>
          <label>
            Attempts
            <input
              name="maxAttempts"
              type="number"
              min={1}
              max={10}
              value={f.maxAttempts}
              onChange={set('maxAttempts')}
              aria-invalid={invalid('retry')}
            />
          </label>
          <label>
            Backoff
            <select name="backoff" value={f.backoff} onChange={set('backoff')}>
              {BACKOFFS.map((b) => (
                <option key={b}>{b}</option>
              ))}
              {f.backoff === 'list' && <option value="list">its own delays</option>}
            </select>
          </label>
        </div>
        <button type="submit">{name ? 'Save' : 'Create worker'}</button>
        {error && (
          <p className="error" role="alert">
            {error.message}
          </p>
        )}
      </form>
    </section>
  );
}
