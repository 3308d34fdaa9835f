import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defaultBundlePath } from '../../src/channels/widget/assets';

/**
 * The widget as sites receive it: small (the budget is 15 KB gzipped), self-contained, and free
 * of the constructs that would need a lax page CSP or could turn text into markup.
 */

const BUDGET_BYTES = 15 * 1024;
let bundle: string;

beforeAll(() => {
  // `npm test` has built it already (then this is a no-op); a lone `npx jest` of this file builds it.
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs'), '--if-stale', '--quiet'], { stdio: 'inherit' });
  bundle = readFileSync(defaultBundlePath(), 'utf8');
}, 180_000);

describe('dist/widget/widget.js', () => {
  it(`is at most ${BUDGET_BYTES} bytes gzipped`, () => {
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('is one self-contained script, with no source map or licence comments', () => {
    expect(bundle.startsWith('"use strict";(()=>{')).toBe(true);
    expect(bundle).not.toMatch(/sourceMappingURL|\/\*!|@license|\brequire\(|\bimport\s*\(/);
  });

  it.each([
    ['eval', /\beval\(/],
    ['new Function', /new Function\b/],
    ['string passed to setTimeout', /setTimeout\(\s*["'`]/],
    ['innerHTML, outerHTML or insertAdjacentHTML', /innerHTML|outerHTML|insertAdjacentHTML/],
    ['document.write', /document\.write/],
    ['style attribute (refused by a page CSP without unsafe-inline)', /setAttribute\(\s*["'`]style/],
    ['inline event handler attribute', /setAttribute\(\s*["'`]on/],
  ])('contains no %s', (_, pattern) => {
    expect(bundle).not.toMatch(pattern);
  });

  it('styles itself with a constructed style sheet inside a shadow root', () => {
    expect(bundle).toContain('attachShadow');
    expect(bundle).toContain('adoptedStyleSheets');
  });
});
