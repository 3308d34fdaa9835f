import { WEBSITE_HEADER, type WidgetError } from '../protocol';

/** The hub answered with an error (the JSON error shape); a network failure stays a plain TypeError. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From `error.retryAfterSeconds`, else the `Retry-After` header (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: string;
  /** JSON-encoded unless it is a Blob (an upload), which is sent as is with its own type. */
  body?: unknown;
  /** For the last page-view update, sent while the page unloads. */
  keepalive?: boolean;
}

/** `/widget/v1` of the hub the script came from, for one website and (once there is one) one visitor. */
export class HubClient {
  constructor(
    private readonly base: string,
    private readonly websiteKey: string,
    private readonly token: () => string | null,
  ) {}

  async fetch(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { [WEBSITE_HEADER]: this.websiteKey };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (options.body instanceof Blob) {
      body = options.body;
      headers['Content-Type'] = options.body.type || 'application/octet-stream';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(`${this.base}/widget/v1/${path}`, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      keepalive: options.keepalive,
      // The visitor is the bearer token; cookies of the hub's origin have nothing to do with it.
      credentials: 'omit',
    });
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  /** The JSON answer, or undefined for 204. */
  async json<T>(path: string, options?: RequestOptions): Promise<T> {
    const response = await this.fetch(path, options);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}

async function errorOf(response: Response): Promise<HttpError> {
  const header = Number(response.headers.get('Retry-After'));
  let error: Partial<WidgetError['error']> = {};
  try {
    error = ((await response.json()) as WidgetError).error;
  } catch {
    // not the hub's JSON (a proxy's error page): the status says enough
  }
  return new HttpError(response.status, error.code ?? `http_${response.status}`, error.message ?? response.statusText, error.retryAfterSeconds ?? (header > 0 ? header : undefined));
}
