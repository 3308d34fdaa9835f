/** email-reply-parser 1.9 ships CommonJS without types; this is the part of it the channel calls. */
declare module 'email-reply-parser' {
  class EmailReplyParser {
    /** The visible text: the fragments it does not take for quotes or signatures, joined. */
    parseReply(text: string): string;
  }
  export = EmailReplyParser;
}
