import type { Response } from 'express';
import { escapeHtml } from '../../../core/html';
import { SCORES } from './mails';

/**
 * The small pages the links of the hub's mail open: self-contained (inline styles, no script, nothing
 * loaded), every text escaped, never cached (they answer for one token), never framed.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;max-width:32rem;margin:3rem auto;padding:0 1rem}h1{font-size:1.4rem}' +
  'textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.5rem 1rem;border:0;border-radius:6px;background:#2563eb;color:#fff;cursor:pointer}' +
  'a.score{display:inline-block;margin:0 .4rem .4rem 0;padding:.3rem .6rem;border:1px solid #2563eb;border-radius:6px;color:#2563eb;text-decoration:none}a.score[aria-current]{background:#2563eb;color:#fff}';

export function sendPage(res: Response, status: number, title: string, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.send(
    [
      '<!DOCTYPE html>',
      `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    ].join('\n'),
  );
}

/** After a rating: the score, links to change it, and the optional comment. */
export function ratedPage(res: Response, input: { action: string; ratingUrl: (score: number) => string; score: number; comment: string | null; commented: boolean }): void {
  const scores = SCORES.map(
    ({ score, label }) =>
      `<a class="score" href="${escapeHtml(input.ratingUrl(score))}"${score === input.score ? ' aria-current="true"' : ''}>${score} · ${escapeHtml(label)}</a>`,
  ).join('');
  const body = [
    `<p>${input.commented ? 'Your comment was saved.' : `You rated the conversation ${input.score} out of 5.`} Thank you!</p>`,
    `<p>${scores}</p>`,
    `<form method="post" action="${escapeHtml(input.action)}">`,
    `<input type="hidden" name="score" value="${input.score}">`,
    '<p><label for="comment">Anything you would like to add? (optional)</label></p>',
    `<p><textarea id="comment" name="comment" rows="4" maxlength="2000">${escapeHtml(input.comment ?? '')}</textarea></p>`,
    '<p><button type="submit">Send comment</button></p>',
    '</form>',
  ].join('');
  sendPage(res, 200, 'Thank you for your feedback', body);
}

export function unsubscribeConfirmPage(res: Response, input: { action: string; address: string }): void {
  const body = [
    `<p>Stop automatic emails (follow-ups, transcripts sent on resolution) to <strong>${escapeHtml(input.address)}</strong>? Replies to your own messages still reach you.</p>`,
    `<form method="post" action="${escapeHtml(input.action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  ].join('');
  sendPage(res, 200, 'Unsubscribe', body);
}

export function unsubscribedPage(res: Response, address: string): void {
  sendPage(res, 200, 'You are unsubscribed', `<p>No more automatic emails go to <strong>${escapeHtml(address)}</strong>.</p>`);
}
