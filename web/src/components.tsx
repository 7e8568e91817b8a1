import type { ReactNode } from 'react';
import { ApiError } from './api.ts';

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status.replace('_', ' ')}</span>;
}

/**
 * An API error as a sentence. A 403 is a scope the token lacks, not a failure of the page: it says
 * what the token may not see.
 */
export function Problem({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.status === 403)
    return (
      <p className="notice" role="status">
        This token may not see {what}: {error.message}. Sign in with an admin token to see them.
      </p>
    );
  if (error instanceof ApiError && error.status === 404)
    return (
      <p className="error" role="alert">
        Not found: {error.message}
      </p>
    );
  return (
    <p className="error" role="alert">
      Could not load {what}: {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

export function Table({ head, children, label }: { head: string[]; children: ReactNode; label: string }) {
  // The wrapper scrolls sideways on a narrow screen instead of squeezing the columns.
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
