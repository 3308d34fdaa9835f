/**
 * The visitor's token, kept in localStorage under `switchboard:<websiteKey>` so that every page and tab of
 * the site is the same visitor. Next to it, `switchboard:<websiteKey>:user` remembers whom `identify`
 * last named, so that a page calling `identify` on every load asks the hub once, and a different user
 * on the same browser starts a new visitor instead of inheriting the previous one's conversations.
 * Storage can be unavailable (privacy modes, sandboxed frames): then the visitor lasts as long as the page.
 */
export class Session {
  private readonly key: string;
  private readonly memory = new Map<string, string>();

  constructor(websiteKey: string) {
    this.key = `switchboard:${websiteKey}`;
  }

  get token(): string | null {
    return this.read(this.key);
  }

  set token(token: string | null) {
    this.write(this.key, token);
  }

  get user(): string | null {
    return this.read(`${this.key}:user`);
  }

  set user(user: string | null) {
    this.write(`${this.key}:user`, user);
  }

  /** Calls `changed` with the new token (null after a reset) when another tab changes it. */
  follow(changed: (token: string | null) => void): void {
    addEventListener('storage', (event) => {
      if (event.key === this.key || event.key === null) changed(this.token);
    });
  }

  private read(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch {
      return this.memory.get(key) ?? null;
    }
  }

  private write(key: string, value: string | null): void {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      if (value === null) this.memory.delete(key);
      else this.memory.set(key, value);
    }
  }
}
