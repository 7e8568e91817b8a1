import type { Access } from '../App.tsx';
import { api } from '../api.ts';
import { Problem, Table } from '../components.tsx';
import { when } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Worker } from '../types.ts';

export function WorkersPage({ access }: { access: Access }) {
  const list = usePoll(() => api<{ workers: Worker[] }>('GET', '/v1/workers'), [], 5000);
  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      {access === 'admin' && (
        <p>
          <a className="button" href={href(['workers', '+new'])}>
            New worker
          </a>
        </p>
      )}
      {list.error !== undefined && <Problem error={list.error} what="workers" />}
      {list.data && (
        <Table label="Workers" head={['Name', 'Image', 'CPU', 'Memory', 'Timeout', 'Updated']}>
          {list.data.workers.map((w) => (
            <tr key={w.name}>
              <td>
                <a href={href(['workers', w.name])}>{w.name}</a>
              </td>
              <td className="mono">{w.image}</td>
              <td>{w.cpu}</td>
              <td>{w.memory} MiB</td>
              <td>{w.timeoutSeconds} s</td>
              <td>{when(w.updatedAt)}</td>
            </tr>
          ))}
        </Table>
      )}
      {list.data?.workers.length === 0 && <p>No workers yet.</p>}
    </section>
  );
}
