import { NotFoundError } from './errors.ts';
import type { Clock } from './ports.ts';
import type { CreateTokenRequest, TokenInfo } from './schemas.ts';
import { hashToken, newToken, tokenId, type TokenRecord, type TokenStore } from './tokens.ts';

/** API tokens: made here, shown once, kept only as hashes. */
export class TokenService {
  constructor(
    private readonly tokens: TokenStore,
    private readonly clock: Clock,
  ) {}

  /** Makes a token; the answer is the only place the token itself ever appears. */
  async create(input: CreateTokenRequest): Promise<TokenInfo & { token: string }> {
    const token = newToken();
    const record: TokenRecord = {
      hash: hashToken(token),
      name: input.name,
      scopes: input.scopes,
      createdAt: this.clock.now().toISOString(),
    };
    await this.tokens.put(record);
    return { ...info(record), token };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.tokens.list()).map(info).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(id: string): Promise<void> {
    const record = (await this.tokens.list()).find((r) => tokenId(r.hash) === id);
    if (!record) throw new NotFoundError(`token ${id} does not exist`);
    await this.tokens.delete(record.hash);
  }
}

function info(record: TokenRecord): TokenInfo {
  return { id: tokenId(record.hash), name: record.name, scopes: record.scopes, createdAt: record.createdAt };
}
