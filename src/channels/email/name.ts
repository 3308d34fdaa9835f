export const EMAIL_CHANNEL = 'email';
/** The email channel's own queue: what it sends by itself (transcripts, follow-ups). */
export const EMAIL_QUEUE = 'email';
