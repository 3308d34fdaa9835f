import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { escapeHtml } from '../../src/core/html';
import { listenLocally, type LocalServer } from './local-server';

/**
 * A customer's website on its own origin (`http://localhost:PORT`, another site than the hub's
 * `127.0.0.1`), embedding the widget with the one script tag of the install instructions, under a strict
 * Content-Security-Policy: scripts and connections only to the hub, nothing inline.
 *
 * Pages:
 * - `/` and `/second`: two pages of the site (history follows the visitor from one to the other);
 * - `/identify?id=&name=&email=&hash=`: calls `Switchboard.identify(...)` once loaded, from a script with
 *   the response's nonce (inline scripts without it are refused), and writes the outcome in
 *   `<body data-identify>`;
 * - `/inline`: has an inline script without a nonce, which the CSP must block (tests the harness);
 * - `/plain`: no widget, for checking the accessibility helper (`?bad=1` adds an image without alt).
 * Every page takes `?website=KEY` (else the site's key), `?lang=fr` (the page's language, which the
 * widget follows) and `?csp=off` (no CSP header: for the XSS tests, where an injected handler must be
 * able to run if the widget ever injected one).
 */
export class CustomerSite {
  private hubUrl = '';
  private websiteKey = '';

  private constructor(private readonly server: LocalServer) {}

  static async start(): Promise<CustomerSite> {
    const http = createServer();
    const site = new CustomerSite(await listenLocally(http));
    http.on('request', (req: IncomingMessage, res: ServerResponse) => site.serve(req, res));
    return site;
  }

  /** `http://localhost:PORT` */
  get origin(): string {
    return this.server.url.replace('127.0.0.1', 'localhost');
  }

  url(path = '/'): string {
    return `${this.origin}${path}`;
  }

  /** The hub the pages load widget.js from (its origin is the only one allowed), and the website key. */
  embed(hubUrl: string, websiteKey: string): this {
    this.hubUrl = hubUrl;
    this.websiteKey = websiteKey;
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** The policy of a page: the hub's origin only for scripts and connections (its socket too). */
  csp(nonce: string): string {
    const hub = new URL(this.hubUrl);
    const socket = `ws://${hub.host}`;
    return [
      "default-src 'self'",
      `script-src ${hub.origin} 'nonce-${nonce}'`,
      `connect-src ${hub.origin} ${socket}`,
      // The thumbnails of pictures in the chat are the hub's (signed links).
      `img-src 'self' ${hub.origin}`,
      "base-uri 'none'",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const nonce = randomBytes(16).toString('base64');
    const key = url.searchParams.get('website') ?? this.websiteKey;
    const widget = `<script src="${escapeHtml(this.hubUrl)}/widget.js" data-website="${escapeHtml(key)}" async></script>`;
    const lang = url.searchParams.get('lang') === 'fr' ? 'fr' : 'en';
    const page = (title: string, content: string, scripts: string) => html(lang, title, content, scripts);
    let body: string;
    switch (url.pathname) {
      case '/':
        body = page('Acme Garden Tools', `<p>Spades, rakes and <a href="/second">watering cans</a>.</p>`, widget);
        break;
      case '/second':
        body = page('Watering cans', `<p>Ten litres, galvanised steel. <a href="/">Back home</a>.</p>`, widget);
        break;
      case '/identify': {
        const input: Record<string, string> = {};
        for (const field of ['id', 'name', 'email', 'hash']) {
          const value = url.searchParams.get(field);
          if (value !== null) input[field] = value;
        }
        // JSON in a script: `<` escaped so that no value can close the script element.
        const call = `window.addEventListener('load', function () {
  Promise.resolve(window.Switchboard.identify(${JSON.stringify(input).replace(/</g, '\\u003c')})).then(
    function () { document.body.setAttribute('data-identify', 'done'); },
    function (error) { document.body.setAttribute('data-identify', 'failed: ' + error); });
});`;
        // Marked as the site's own, so that the XSS tests can tell it from an injected one.
        body = page('My account', '<p>Signed in.</p>', `${widget}<script nonce="${nonce}" data-customer-site>${call}</script>`);
        break;
      }
      case '/inline':
        body = page('Inline script', '<p>An inline script without the nonce follows.</p>', `<script>document.body.setAttribute('data-inline', 'ran');</script>`);
        break;
      case '/plain':
        body = page('Plain page', url.searchParams.get('bad') === '1' ? '<p><img src="/logo.png" width="10" height="10"></p>' : '<p>Nothing to see.</p>', '');
        break;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (url.searchParams.get('csp') !== 'off') headers['content-security-policy'] = this.csp(nonce);
    res.writeHead(200, headers).end(body);
  }
}

function html(lang: string, title: string, content: string, scripts: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body>
<main><h1>${title}</h1>${content}</main>
${scripts}
</body>
</html>`;
}
