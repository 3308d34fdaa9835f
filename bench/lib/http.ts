import { Agent, get, request } from 'node:http';
import { nowMs, sleep } from './stats';

/** One JSON POST over node:http; resolves with the status and the body text. */
export function postJson(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `work(i)` for i = 0..count-1, at most `concurrency` at a time; resolves with the results in order. */
export async function inParallel<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

/** The status of a GET, 0 when nothing answered. */
export function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls `url` until it answers 200; `alive` throws when the server is known to be gone. */
export async function waitFor200(url: string, timeoutMs: number, alive: () => void = () => undefined): Promise<number> {
  const start = nowMs();
  for (;;) {
    if ((await statusOf(url)) === 200) return nowMs() - start;
    alive();
    if (nowMs() - start > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(25);
  }
}
