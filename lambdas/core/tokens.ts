import { createHash, randomBytes } from 'node:crypto';

/** What a token may do: `admin` manages workers and tokens (and jobs); `jobs` queues and reads jobs. */
export const Scope = { Admin: 'admin', Jobs: 'jobs' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export interface TokenRecord {
  /** sha256 of the token, hex: the token itself is never stored. */
  hash: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
}

export interface TokenStore {
  put(record: TokenRecord): Promise<void>;
  get(hash: string): Promise<TokenRecord | undefined>;
  delete(hash: string): Promise<void>;
  list(): Promise<TokenRecord[]>;
}

/** A token's public id: the start of its hash, enough to tell tokens apart and to revoke one. */
export function tokenId(hash: string): string {
  return hash.slice(0, 16);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random token: `rl_` and 32 bytes of base64url. */
export function newToken(): string {
  return `rl_${randomBytes(32).toString('base64url')}`;
}
