import { PermanentDeliveryError } from '../../core/errors';
import type { ChannelJobs } from '../../core/ports/channel-jobs';
import type { CrmJobPart } from './inbound';
import { CRM_QUEUE } from './name';

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
