import type { WidgetLocale } from '../protocol';

const en = {
  openChat: 'Open chat',
  closeChat: 'Close chat',
  close: 'Close',
  messages: 'Messages',
  message: 'Message',
  send: 'Send',
  attach: 'Attach a file',
  remove: 'Remove',
  online: 'Online: we usually answer within minutes',
  away: 'We are away right now. Leave us a message and we will answer by email.',
  agent: 'Agent',
  typing: '{name} is typing…',
  someone: 'Someone',
  sending: 'Sending…',
  sent: 'Sent',
  seen: 'Seen',
  failed: 'Not sent.',
  retry: 'Retry',
  uploading: 'Uploading…',
  name: 'Name',
  email: 'Email',
  leaveMessage: 'Leave a message',
  offlineThanks: 'Thank you! We will answer by email.',
  preChat: 'Tell us who you are before we start.',
  startChat: 'Start chat',
  resolved: 'This conversation was resolved. How did we do?',
  stars: '{n} out of 5',
  comment: 'Comment (optional)',
  rate: 'Send rating',
  rated: 'Thank you for your rating.',
  transcript: 'Download transcript',
  emailTranscript: 'Email me the transcript',
  transcriptEmailed: 'The transcript is on its way to {email}.',
  newMessage: 'New message from {name}: {body}',
  rateLimited: 'Too many requests. Try again in {n} seconds.',
  tooLarge: 'This file is too large (limit {n} MB).',
  badType: 'Files of this type are not accepted.',
  error: 'Something went wrong. Please try again.',
};

export type Strings = typeof en;

const fr: Strings = {
  openChat: 'Ouvrir le chat',
  closeChat: 'Fermer le chat',
  close: 'Fermer',
  messages: 'Messages',
  message: 'Message',
  send: 'Envoyer',
  attach: 'Joindre un fichier',
  remove: 'Retirer',
  online: 'En ligne : nous répondons en général en quelques minutes',
  away: 'Nous sommes absents pour le moment. Laissez-nous un message, nous répondrons par e-mail.',
  agent: 'Conseiller',
  typing: '{name} écrit…',
  someone: 'Quelqu’un',
  sending: 'Envoi…',
  sent: 'Envoyé',
  seen: 'Vu',
  failed: 'Non envoyé.',
  retry: 'Réessayer',
  uploading: 'Envoi du fichier…',
  name: 'Nom',
  email: 'E-mail',
  leaveMessage: 'Laisser un message',
  offlineThanks: 'Merci ! Nous répondrons par e-mail.',
  preChat: 'Présentez-vous avant de commencer.',
  startChat: 'Commencer',
  resolved: 'Cette conversation est résolue. Qu’en avez-vous pensé ?',
  stars: '{n} sur 5',
  comment: 'Commentaire (facultatif)',
  rate: 'Envoyer la note',
  rated: 'Merci pour votre note.',
  transcript: 'Télécharger la transcription',
  emailTranscript: 'Recevoir la transcription par e-mail',
  transcriptEmailed: 'La transcription part vers {email}.',
  newMessage: 'Nouveau message de {name} : {body}',
  rateLimited: 'Trop de demandes. Réessayez dans {n} secondes.',
  tooLarge: 'Ce fichier est trop volumineux (limite {n} Mo).',
  badType: 'Ce type de fichier n’est pas accepté.',
  error: 'Une erreur est survenue. Veuillez réessayer.',
};

/** The website's locale, else the page's `lang`, else the first of the browser's languages we speak. */
export function pickLocale(configured: WidgetLocale | null): WidgetLocale {
  if (configured) return configured;
  const candidates = [document.documentElement.lang, ...navigator.languages];
  for (const tag of candidates) {
    const lang = tag.slice(0, 2).toLowerCase();
    if (lang === 'fr' || lang === 'en') return lang;
  }
  return 'en';
}

export function stringsFor(locale: WidgetLocale): Strings {
  return locale === 'fr' ? fr : en;
}

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''));
}
