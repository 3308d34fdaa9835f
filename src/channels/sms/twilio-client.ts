import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import { RetryableDeliveryError } from '../../core/errors';
import { httpFailure } from '../retry-after';

const TWILIO_API = 'https://api.twilio.com';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  /** Base URL of Twilio's REST API: https://api.twilio.com, or a local emulator in tests. */
  apiUrl: string;
  timeoutMs: number;
}

/**
 * Twilio's own HTTP client, with two changes: requests go to the configured base URL, and answers the
 * hub should retry (network errors, 429 with its Retry-After, 5xx) become the core's retryable errors
 * here, where the response headers are still at hand. Other 4xx answers are left to the SDK, which
 * raises them as RestException with Twilio's error code.
 */
class HubRequestClient extends RequestClient {
  constructor(
    private readonly apiUrl: string,
    timeoutMs: number,
  ) {
    // autoRetry off: BullMQ owns retries, with backoff that survives a restart.
    super({ timeout: timeoutMs, keepAlive: true, autoRetry: false });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const uri = opts.uri.startsWith(TWILIO_API) ? this.apiUrl + opts.uri.slice(TWILIO_API.length) : opts.uri;
    let response: Response<TData>;
    try {
      response = await super.request({ ...opts, uri });
    } catch (error) {
      throw new RetryableDeliveryError(`Twilio could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
    const headers = response.headers as Record<string, string | undefined>;
    if (response.statusCode === 429 || response.statusCode >= 500) {
      throw httpFailure(response.statusCode, headers['retry-after'] ?? null, `Twilio answered ${response.statusCode}`);
    }
    return response;
  }
}

export function createTwilioClient(credentials: TwilioCredentials): twilio.Twilio {
  return twilio(credentials.accountSid, credentials.authToken, {
    httpClient: new HubRequestClient(credentials.apiUrl, credentials.timeoutMs),
    autoRetry: false,
  });
}

export type TwilioClient = twilio.Twilio;
export const { RestException } = twilio;
export type RestException = twilio.RestException;
