import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST } from './lib/processes';

export interface WidgetSizeFigure {
  file: string;
  bytes: number;
  /** gzip at its default level (6), as a web server would send it. */
  gzipBytes: number;
  /** gzip -9 (the least a transfer could be with gzip). */
  gzip9Bytes: number;
}

/** The widget script as built into dist/ (`npm run bench` builds it first when it is stale). */
export const WIDGET_JS = join(DIST, 'widget', 'widget.js');

export function measureWidgetSize(file = WIDGET_JS): WidgetSizeFigure {
  if (!existsSync(file)) throw new Error(`${file} is not built (scripts/build.mjs bundles it)`);
  const bytes = readFileSync(file);
  return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes).length, gzip9Bytes: gzipSync(bytes, { level: 9 }).length };
}
