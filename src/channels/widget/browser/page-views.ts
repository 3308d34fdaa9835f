import type { PageViewInput } from '../protocol';
import type { HubClient } from './http';

/**
 * Records this page for the agents (the pages a visitor saw before and during the chat), then how long
 * the visitor stayed: updated whenever the page is hidden or left, with `keepalive` so the last update
 * survives the unload. The hub drops query strings unless the website keeps them; the fragment never
 * leaves the page. Failures are ignored: browsing history is a courtesy, not worth an error.
 */
export class PageViews {
  private recorded = false;
  private id: string | undefined;
  private reported = -1;

  constructor(private readonly hub: HubClient) {
    addEventListener('pagehide', () => this.report());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.report();
    });
  }

  /** Once per page and visitor: a new token for the same visitor (after `identify`) is no new view. */
  record(): void {
    if (this.recorded) return;
    this.recorded = true;
    const view: PageViewInput = { url: location.href.split('#')[0] ?? '', title: document.title || undefined, referrer: document.referrer || undefined };
    this.hub
      .json<{ id: string } | undefined>('page-views', { body: view })
      .then((answer) => (this.id = answer?.id))
      .catch(() => undefined);
  }

  /** The visitor was forgotten: the next one records this page for itself. */
  forget(): void {
    this.recorded = false;
    this.id = undefined;
    this.reported = -1;
  }

  private report(): void {
    // Since the navigation started: the time the visitor has been on this page.
    const seconds = Math.round(performance.now() / 1000);
    if (!this.id || seconds === this.reported) return;
    this.reported = seconds;
    this.hub.fetch(`page-views/${this.id}`, { method: 'PATCH', body: { seconds }, keepalive: true }).catch(() => undefined);
  }
}
