import { useEffect, useState } from 'react';
import { api, ApiError, session, whenUnauthorized } from './api.ts';
import { href, useRoute } from './hooks.ts';
import { JobPage } from './pages/JobPage.tsx';
import { JobsPage } from './pages/JobsPage.tsx';
import { Overview } from './pages/Overview.tsx';
import { SchedulesPage } from './pages/SchedulesPage.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { WorkerForm } from './pages/WorkerForm.tsx';
import { WorkersPage } from './pages/WorkersPage.tsx';
import { WorkerPage } from './pages/WorkerPage.tsx';

/** What the signed-in token may do: `jobs` tokens get 403 on workers, and the page says so. */
export type Access = 'admin' | 'jobs';

/** Asks the API what a token may do: any 2xx on workers means admin, a 403 means jobs only. */
async function probeAccess(token: string): Promise<Access> {
  await api('GET', '/v1/jobs?limit=1', undefined, token); // throws 401 for a wrong token
  try {
    await api('GET', '/v1/workers', undefined, token);
    return 'admin';
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return 'jobs';
    throw err;
  }
}

export function App() {
  const [access, setAccess] = useState<Access | undefined>(undefined);
  const [checking, setChecking] = useState(Boolean(session.token()));
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    whenUnauthorized(() => {
      session.signOut();
      setAccess(undefined);
      setNotice('The API no longer accepts this token. Sign in again.');
    });
    const token = session.token();
    if (!token) return;
    probeAccess(token)
      .then(setAccess)
      .catch(() => session.signOut())
      .finally(() => setChecking(false));
  }, []);

  const signIn = async (token: string) => {
    const granted = await probeAccess(token);
    session.signIn(token);
    setNotice(undefined);
    setAccess(granted);
  };
  const signOut = () => {
    session.signOut();
    setAccess(undefined);
    setNotice('Signed out.');
  };

  if (checking) return <p className="loading">Loading…</p>;
  if (!access) return <SignIn onSignIn={signIn} notice={notice} />;

  const [section = '', id, action] = route.path;
  let page;
  if (section === 'jobs' && id) page = <JobPage id={id} />;
  else if (section === 'jobs') page = <JobsPage params={route.params} access={access} />;
  else if (section === 'workers' && id === undefined) page = <WorkersPage access={access} />;
  else if (section === 'workers' && id === '+new') page = <WorkerForm access={access} />;
  else if (section === 'workers' && action === 'edit') page = <WorkerForm name={id} access={access} />;
  else if (section === 'workers' && id) page = <WorkerPage name={id} access={access} />;
  else if (section === 'schedules') page = <SchedulesPage name={id} />;
  else page = <Overview />;

  const nav = [
    ['', 'Overview'],
    ['jobs', 'Jobs'],
    ['workers', 'Workers'],
    ['schedules', 'Schedules'],
  ] as const;
  return (
    <>
      <a
        className="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/">
          runlater
        </a>
        <nav aria-label="Sections">
          {nav.map(([key, label]) => (
            <a key={key} href={href(key ? [key] : [])} aria-current={section === key ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who">{access === 'admin' ? 'admin token' : 'jobs token'}</span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {access === 'jobs' && (
        <p className="banner" role="status">
          This token has the <code>jobs</code> scope: it queues and reads jobs and schedules. Workers need an
          admin token.
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
