import { useState, type FormEvent } from 'react';
import { ApiError } from '../api.ts';

/** The token stays in this tab's sessionStorage: closing the tab or signing out forgets it. */
export function SignIn({
  onSignIn,
  notice,
}: {
  onSignIn: (token: string) => Promise<void>;
  notice?: string;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(token.trim());
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That token was not accepted.'
          : `Could not reach the API: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>runlater</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          autoFocus
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p className="hint">
        Locally, <code>runlater dev</code> prints the token and saves it in <code>.runlater/token</code>. On
        AWS, make one with <code>runlater tokens create</code>. It is kept for this browser tab only.
      </p>
    </main>
  );
}
