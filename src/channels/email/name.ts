export const EMAIL_CHANNEL = 'email';
