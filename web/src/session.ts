// The signed-in user, their selected project and the CSRF token, shared by every page.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface ProjectRef {
  id: string;
  name: string;
}

export interface Session {
  object: 'session';
  user: { id: string; email: string; role: 'owner' | 'member' };
  project: ProjectRef;
  projects: ProjectRef[];
  csrf_token: string;
  delivery_url: string;
  expires_at: string;
}

export interface SessionState {
  session: Session;
  /** reload the session (after switching project, renaming one, …) */
  refresh(): Promise<void>;
  /** show a short message at the bottom of the screen */
  toast(text: string, kind?: 'ok' | 'error'): void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside the signed-in shell');
  return s;
}
