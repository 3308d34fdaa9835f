import { Router } from 'express';
import { SYSTEM } from '../../core/actor';
import type { Database } from '../../core/database';
import { escapeHtml } from '../../core/html';
import { DEMO_WEBSITE_KEY, ensureDemoWebsite } from '../../core/websites/demo';
import { WIDGET_CHANNEL } from './name';

export interface DemoRouteOptions {
  db: Database;
  publicUrl: string;
  port: number;
  /** DEMO_PAGE: off, /demo is not mounted and answers 404 like any unknown path. */
  enabled: boolean;
}

/**
 * The page's own policy, stricter than helmet's default for the app: only the hub's own scripts (the
 * widget), connections to the hub and its socket, no plugins, forms, framing or base changes. Inline
 * styles stay allowed for the page's own style sheet.
 */
export const DEMO_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const STYLE = `
  body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; }
  main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.25rem 6rem; }
  h1 { font-size: 1.9rem; margin: 0 0 .5rem; }
  h2 { font-size: 1.2rem; margin-top: 2.2rem; }
  pre { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .8rem 1rem; overflow-x: auto; font-size: .85rem; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  a { color: #0550ae; }
  .lead { font-size: 1.1rem; color: #424a53; }
`;

/** The page: what Switchboard is, how to talk to it as a visitor and as an agent, and the widget itself. */
export function demoPageHtml(publicUrl: string, allowedOrigins: readonly string[]): string {
  const hub = escapeHtml(publicUrl);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard demo shop</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Switchboard demo shop</h1>
<p class="lead">Switchboard is an open-source, self-hosted hub for customer conversations. Customers write from
a chat bubble on your website, by SMS or by email; agents answer from Slack or through a REST API, and every
channel feeds one conversation.</p>

<h2>Talk to the shop</h2>
<p>The chat button in the corner of this page is the widget: one script tag, a few kilobytes, in a Shadow DOM
so the page and the widget cannot break each other. Open it and write a message. The conversation survives
reloads and shows in every tab; nobody is online yet, so it shows the away message and takes your email.</p>
<p>This page works when opened at ${allowedOrigins.map((origin) => `<code>${escapeHtml(origin)}</code>`).join(', ')}: the widget refuses
pages of other origins.</p>

<h2>Answer as an agent</h2>
<p>In a terminal, create an API key, then read the conversation and reply: the answer appears in the widget
at once.</p>
<pre><code>KEY=$(npm run -s hub -- api-key create --name demo --scopes read,write)

# the open web chat conversations, newest first
curl -s "${hub}/api/v1/conversations?channel=widget&amp;status=open" -H "Authorization: Bearer $KEY"

# reply (use the id from the list)
curl -s "${hub}/api/v1/conversations/CONVERSATION_ID/messages" \\
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \\
  -d '{"body": "Hi! How can I help?"}'

# live events: messages, typing, status changes
curl -sN "${hub}/api/v1/events" -H "Authorization: Bearer $KEY"</code></pre>
<p>To show "online", add an agent (<code>npm run hub -- agent add --name Ada --email ada@example.com</code>) and set
their status with <code>PATCH /api/v1/agents/ID</code> <code>{"status": "online"}</code>. Everything else (pages
the visitor saw, ratings, assignment, teams) is in the <a href="/api/v1/openapi.json">API reference (OpenAPI)</a>.</p>

<h2>Put it on your own site</h2>
<pre><code>npm run hub -- website create --name "My shop" --origin https://shop.example.com</code></pre>
<p>It prints the website's key, the identity secret for verified visitors, and the tag for your pages:</p>
<pre><code>${escapeHtml(`<script src="${publicUrl}/widget.js" data-website="wk_…" async></script>`)}</code></pre>
</main>
<script src="/widget.js" data-website="${DEMO_WEBSITE_KEY}" async></script>
</body>
</html>
`;
}

/**
 * `GET /demo`: the product on the hub itself, so that `npm start` and a browser show it at once. The
 * demo website is made when missing (and given the hub's current origins) on each visit, which is one
 * indexed read once it exists.
 */
export function demoRoutes({ db, publicUrl, port, enabled }: DemoRouteOptions): Router {
  const router = Router();
  if (!enabled) return router;
  router.get('/demo', async (_req, res) => {
    const { website } = await ensureDemoWebsite(db, WIDGET_CHANNEL, { publicUrl, port }, SYSTEM);
    res.setHeader('Content-Security-Policy', DEMO_PAGE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    // helmet's no-referrer would leave the widget's same-origin requests without any page origin in older browsers.
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    res.type('html').send(demoPageHtml(publicUrl, website.allowedOrigins));
  });
  return router;
}
