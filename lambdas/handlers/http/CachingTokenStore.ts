import type { TokenRecord, TokenStore } from '../../core/tokens.ts';

/**
 * Remembers token look-ups for a short while, so most requests cost no read. A revocation through
 * this store takes effect here at once; other Lambda instances notice within `ttlSeconds`.
 */
export class CachingTokenStore implements TokenStore {
  private readonly cache = new Map<string, { record: TokenRecord | undefined; until: number }>();

  constructor(
    private readonly inner: TokenStore,
    private readonly ttlSeconds = 30,
    private readonly now: () => number = Date.now,
  ) {}

  async get(hash: string): Promise<TokenRecord | undefined> {
    const hit = this.cache.get(hash);
    if (hit && hit.until > this.now()) return hit.record;
    const record = await this.inner.get(hash);
    if (this.cache.size >= 1000) this.cache.clear();
    this.cache.set(hash, { record, until: this.now() + this.ttlSeconds * 1000 });
    return record;
  }

  async put(record: TokenRecord): Promise<void> {
    await this.inner.put(record);
    this.cache.delete(record.hash);
  }

  async delete(hash: string): Promise<void> {
    await this.inner.delete(hash);
    this.cache.delete(hash);
  }

  list(): Promise<TokenRecord[]> {
    return this.inner.list();
  }
}
