import type { Redis } from 'ioredis';

/**
 * Whether the hub's outside integrations (Slack) work, as the last process to use one found out. Kept in
 * Redis so that /readyz on any process shows what a worker saw; an integration's trouble is reported
 * there but never makes the hub unready, since everything else keeps working.
 */
export class IntegrationHealth {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return `${this.prefix}:integration-health`;
  }

  /** Records `ok` or the problem; writes only when it changed since this process last wrote it (and then says true). */
  async report(integration: string, problem: string | undefined): Promise<boolean> {
    const state = problem ?? 'ok';
    if (this.known.get(integration) === state) return false;
    await this.redis.hset(this.key(), integration, state);
    this.known.set(integration, state);
    return true;
  }

  async all(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key());
  }
}
