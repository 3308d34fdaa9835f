/** The CRM channel's name, and the queue of its own jobs (webhook attempts, inbound CRM events). */
export const CRM_CHANNEL = 'crm';
export const CRM_QUEUE = 'crm';
