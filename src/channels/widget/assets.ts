import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { Router, type Request } from 'express';
import { ServiceUnavailableError } from '../../core/errors';

/** The repository's root: the folder with scripts/build.mjs, above src/ (ts-jest) as above dist/src/. */
function repositoryRoot(): string {
  for (let folder = __dirname; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'scripts', 'build.mjs'))) return folder;
    if (dirname(folder) === folder) return process.cwd();
  }
}

export function defaultBundlePath(): string {
  return join(repositoryRoot(), 'dist', 'widget', 'widget.js');
}

interface Representation {
  body: Buffer;
  etag: string;
}

interface Bundle {
  plain: Representation;
  compressed: (Representation & { encoding: 'br' | 'gzip' })[];
}

/** One strong ETag per representation: the content's hash, marked with the encoding when compressed. */
function prepare(bundle: Buffer): Bundle {
  const hash = createHash('sha256').update(bundle).digest('base64url');
  return {
    plain: { body: bundle, etag: `"${hash}"` },
    compressed: [
      { body: brotliCompressSync(bundle, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }), etag: `"${hash}-br"`, encoding: 'br' },
      { body: gzipSync(bundle, { level: 9 }), etag: `"${hash}-gz"`, encoding: 'gzip' },
    ],
  };
}

/** Brotli, else gzip, else the plain file, as the client accepts. */
function negotiate(req: Request, bundle: Bundle): Representation & { encoding?: string } {
  const accepted = new Set(
    (req.get('Accept-Encoding') ?? '')
      .split(',')
      .filter((part) => !/;\s*q=0(\.0*)?\s*$/.test(part))
      .map((part) => part.split(';')[0]?.trim().toLowerCase()),
  );
  return bundle.compressed.find((choice) => accepted.has(choice.encoding)) ?? bundle.plain;
}

/** RFC 9110: If-None-Match uses the weak comparison, so a W/ prefix added by a proxy still matches. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const candidate = tag.trim().replace(/^W\//, '');
    return candidate === '*' || candidate === etag;
  });
}

/**
 * `GET /widget.js`: the chat widget, built by `npm run build` (scripts/build.mjs) and read once here.
 * Sites embed it from their own pages, so it is cacheable by anyone for a day and then revalidated in
 * the background (a new release reaches visitors within a day), may be loaded cross-origin, and is sent
 * compressed: the hub has no compression middleware, and the widget's size is a promise to the sites.
 */
export function widgetAssetRoutes(options: { bundlePath?: string } = {}): Router {
  const path = options.bundlePath ?? defaultBundlePath();
  const bundle = existsSync(path) ? prepare(readFileSync(path)) : null;
  const router = Router();
  router.get('/widget.js', (req, res) => {
    if (!bundle) throw new ServiceUnavailableError('widget_not_built', 'The chat widget has not been built: run `npm run build`, then restart the hub.');
    const chosen = negotiate(req, bundle);
    res.setHeader('Cache-Control', 'public, max-age=86400, stale-while-revalidate=604800');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('ETag', chosen.etag);
    if (matches(req.get('If-None-Match'), chosen.etag)) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
    if (chosen.encoding) res.setHeader('Content-Encoding', chosen.encoding);
    res.setHeader('Content-Length', String(chosen.body.length));
    res.status(200).end(chosen.body);
  });
  return router;
}
