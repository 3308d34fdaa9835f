import { ErrorCode, LogLevel, WebClient, type Logger as SlackSdkLogger, type WebAPICallError } from '@slack/web-api';
import type { Logger } from 'pino';
import { isRefusal, PermanentDeliveryError, RateLimitedError, RetryableDeliveryError } from '../../core/errors';

/** Errors after which no retry can succeed until someone fixes the app's setup in Slack. */
const SETUP_ERRORS = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed', 'channel_not_found', 'is_archived', 'not_in_channel', 'missing_scope']);

export function isSetupError(error: unknown): error is PermanentDeliveryError {
  return error instanceof PermanentDeliveryError && error.code !== undefined && SETUP_ERRORS.has(error.code);
}

function isWebApiError(error: unknown): error is WebAPICallError {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code);
}

/**
 * The hub's errors for a failed Slack call: rate limits wait for Slack's Retry-After, setup errors
 * (revoked token, archived channel) are permanent, everything else is retried with backoff.
 */
export function slackError(error: unknown): Error {
  if (!isWebApiError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (error.code) {
    case ErrorCode.RateLimitedError:
      return new RateLimitedError('Slack rate limit', error.retryAfter * 1000);
    case ErrorCode.PlatformError:
      return SETUP_ERRORS.has(error.data.error)
        ? new PermanentDeliveryError(`Slack refused the call: ${error.data.error}`, error.data.error)
        : new RetryableDeliveryError(`Slack answered ${error.data.error}`);
    default:
      return new RetryableDeliveryError(`Slack could not be reached: ${error.message}`);
  }
}

/**
 * The error a Slack job fails with: Slack's own as `slackError` says, a refusal of core's as
 * permanent, since a retry would be refused again; anything else is retried with backoff.
 */
export function jobError(error: unknown): Error {
  if (isRefusal(error)) return new PermanentDeliveryError(error.message, error.code);
  return slackError(error);
}

/**
 * Slack's own Web API client, pointed at `apiUrl`. Its retries are off and rate limits are rejected
 * rather than waited out inside the call, so that BullMQ schedules the retry (and a restart keeps it).
 */
export function createSlackClient(token: string, apiUrl: string, logger: Logger): WebClient {
  return new WebClient(token, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    logger: slackLogger(logger, 'slack-web-api'),
  });
}

/** Slack's SDK logger interface on the hub's logger; the SDKs' info lines are debug here. */
export function slackLogger(logger: Logger, component: string): SlackSdkLogger {
  const child = logger.child({ component });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.ERROR,
    setName: () => undefined,
  };
}

/**
 * A message only one person sees (a refusal, an explanation). Telling them is a courtesy: when Slack
 * refuses it, the failure is logged and the work it was about is not failed for it.
 */
export async function tellPrivately(client: WebClient, logger: Logger, to: { channel: string; user: string; threadTs?: string }, text: string): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: to.channel, user: to.user, ...(to.threadTs ? { thread_ts: to.threadTs } : {}), text });
  } catch (error) {
    logger.warn({ err: error, slackChannel: to.channel, slackUser: to.user }, 'could not post an ephemeral message in Slack');
  }
}
