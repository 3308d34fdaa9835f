import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readBody, text, type Answer } from '../http';
import type { RecordedResponse } from './types';

/**
 * The response_urls handed out with actions and slash commands. Only URLs the emulator issued answer
 * (like Slack's, which are unguessable), so a hub that builds its own URL fails visibly.
 */
export class ResponseUrls {
  readonly responses: RecordedResponse[] = [];
  private readonly issued = new Set<string>();
  private failures: number[] = [];

  constructor(private readonly baseUrl: string) {}

  issue(): string {
    const id = randomBytes(12).toString('hex');
    this.issued.add(id);
    return `${this.baseUrl}/response/${id}`;
  }

  /** The next POSTs answer these statuses (a 500 from Slack's side, say) before any is recorded. */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  /** Slack takes JSON here (Bolt's respond() sends it) and answers 200 'ok'. */
  async handle(req: IncomingMessage, id: string): Promise<Answer> {
    if (!this.issued.has(id)) return text(404, 'no_such_url');
    const failure = this.failures.shift();
    if (failure !== undefined) return text(failure, 'emulated_failure');
    if (req.method !== 'POST') return text(405, 'method_not_allowed');
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      return text(400, 'invalid_payload');
    }
    this.responses.push({ url: `${this.baseUrl}/response/${id}`, body });
    return text(200, 'ok');
  }
}
