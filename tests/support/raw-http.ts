import { request } from 'node:http';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: already percent-encoded, never normalized. */
  target: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the response is JSON, else the text; an event stream is closed at its headers (''). */
  body: unknown;
}

/** One request through node:http, which (unlike fetch) sends malformed escapes and odd paths as they are. */
export function sendRaw(base: string, init: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    // Framed by its length whatever the method: node sends a GET's body unframed otherwise.
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = request({ host: url.hostname, port: url.port, method: init.method, path: init.target, headers, timeout: timeoutMs }, (res) => {
      const answer = { status: res.statusCode ?? 0, headers: res.headers };
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        resolve({ ...answer, body: '' });
        return;
      }
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).startsWith('application/json')) {
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON after all: the text is what the test reports
          }
        }
        resolve({ ...answer, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${init.method} ${init.target}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
