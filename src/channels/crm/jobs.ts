import { PermanentDeliveryError } from '../../core/errors';
import type { ChannelJobs, JobAttempt } from '../../core/ports/channel-jobs';
import { CRM_QUEUE } from './name';

/** One part's jobs on the CRM channel's queue, by name (the channel's ChannelJobs dispatches to it). */
export interface CrmJobPart {
  names: readonly string[];
  process(name: string, data: unknown, attempt: JobAttempt): Promise<void>;
  reconcile?(): Promise<void>;
}

/** The CRM channel's one queue, shared by its parts: each job goes to the part that names it. */
export function crmJobs(parts: readonly CrmJobPart[]): ChannelJobs {
  const byName = new Map(parts.flatMap((part) => part.names.map((name) => [name, part] as const)));
  return {
    queue: CRM_QUEUE,
    async process(name, data, attempt) {
      const part = byName.get(name);
      if (!part) throw new PermanentDeliveryError(`unknown CRM job ${name}`);
      await part.process(name, data, attempt);
    },
    async reconcile() {
      for (const part of parts) await part.reconcile?.();
    },
  };
}
