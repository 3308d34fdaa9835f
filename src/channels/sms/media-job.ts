import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../../core/database';
import { PermanentDeliveryError, RetryableDeliveryError } from '../../core/errors';
import type { InboundJob } from '../../core/ingest';
import { addAttachments } from '../../core/messages/attachments';
import type { Attachment } from '../../core/model/types';
import type { Outbox } from '../../core/outbox';
import type { ChannelJobs } from '../../core/ports/channel-jobs';
import { MAX_MEDIA, type IncomingMedia } from './inbound';
import type { MediaFailure, MediaFetcher } from './media';

/** The SMS channel's own queue: an MMS's media is fetched there, after Twilio's webhook was answered. */
export const SMS_QUEUE = 'sms';
const MEDIA_JOB = 'media';

const attachmentSchema = z.object({
  url: z.string(),
  contentType: z.string().optional(),
  name: z.string().optional(),
  size: z.number().optional(),
  fileKey: z.string().optional(),
});

/**
 * `stored` and `failures` are kept as each media is decided, so a retry fetches and stores only the
 * media still undecided. Twilio's media URLs stay here, in the job, not in the message's metadata.
 */
const mediaJobSchema = z.object({
  messageId: z.string(),
  media: z.array(z.object({ url: z.string(), contentType: z.string() })).max(MAX_MEDIA),
  stored: z.array(z.object({ index: z.number().int(), attachment: attachmentSchema })).default([]),
  failures: z.array(z.object({ index: z.number().int(), contentType: z.string(), reason: z.string() })).default([]),
});
type MediaJob = z.output<typeof mediaJobSchema>;

/** The job that fetches an MMS's media into the message, written with the message itself. */
export function mediaJobOf(messageId: string, media: readonly IncomingMedia[]): InboundJob {
  return { queue: SMS_QUEUE, name: MEDIA_JOB, payload: { messageId, media } };
}

export interface SmsJobsOptions {
  db: Database;
  outbox: Outbox;
  media: MediaFetcher;
  logger: Logger;
}

/**
 * The worker side of the SMS webhook. Each attempt fetches the media still undecided, then shows on the
 * message what it has so far (attachments, refusals, how many are still pending), so a picture that
 * came is seen while another one is retried. A media still failing on the last attempt is noted on the
 * message as refused, so agents learn of it.
 */
export function smsJobs(options: SmsJobsOptions): ChannelJobs {
  return {
    queue: SMS_QUEUE,
    async process(name, data, { lastAttempt, keep }) {
      if (name !== MEDIA_JOB) throw new PermanentDeliveryError(`unknown SMS job ${name}`);
      const parsed = mediaJobSchema.safeParse(data);
      if (!parsed.success) throw new PermanentDeliveryError(`malformed SMS media job: ${parsed.error.message}`);
      const job = parsed.data;
      let retry: Error | undefined;
      for (const [index, item] of job.media.entries()) {
        if (isDecided(job, index)) continue;
        try {
          job.stored.push({ index, attachment: await options.media.fetchOne(item, index) });
        } catch (error) {
          if (!(error instanceof PermanentDeliveryError) && !lastAttempt) {
            options.logger.warn({ messageId: job.messageId, index, err: error }, 'MMS media not fetched yet; will retry');
            retry ??= error instanceof Error ? error : new RetryableDeliveryError(String(error));
            continue;
          }
          options.logger.warn({ messageId: job.messageId, index, contentType: item.contentType, err: error }, 'MMS media not stored');
          job.failures.push({ index, contentType: item.contentType, reason: reasonOf(error) });
        }
        await keep(job);
      }
      await show(options, job);
      if (retry) throw retry;
    },
  };
}

function isDecided(job: MediaJob, index: number): boolean {
  return job.stored.some((s) => s.index === index) || job.failures.some((f) => f.index === index);
}

async function show(options: SmsJobsOptions, job: MediaJob): Promise<void> {
  const byIndex = <T extends { index: number }>(items: readonly T[]) => [...items].sort((a, b) => a.index - b.index);
  const attachments: Attachment[] = byIndex(job.stored).map((s) => s.attachment);
  const failures: MediaFailure[] = byIndex(job.failures);
  const pendingMedia = job.media.length - job.stored.length - job.failures.length;
  const metadata = { pendingMedia, ...(failures.length > 0 ? { mediaFailures: failures } : {}) };
  const updated = await addAttachments(options, job.messageId, { attachments, metadata });
  if (!updated) {
    // The message is gone (its conversation deleted): what was stored for it has nowhere to go.
    await options.media.discard(attachments);
    throw new PermanentDeliveryError(`message ${job.messageId} is gone; its MMS media was discarded`);
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof PermanentDeliveryError || error instanceof RetryableDeliveryError) return error.message;
  return 'the media could not be downloaded from Twilio';
}
