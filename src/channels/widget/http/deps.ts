import type { RequestHandler } from 'express';
import type { Database } from '../../../core/database';
import type { FileLinks } from '../../../core/files/links';
import type { UploadPolicy } from '../../../core/files/uploads';
import type { Outbox } from '../../../core/outbox';
import type { FileStorage } from '../../../core/ports/file-storage';
import type { RateLimits } from '../../../core/ports/rate-limits';
import type { VisitorMessages } from '../messages';
import type { VisitorTokens } from '../tokens';
import type { WidgetViews } from '../views';

/** What the widget's HTTP routes work with. */
export interface WidgetHttpDeps {
  db: Database;
  outbox: Outbox;
  storage: FileStorage;
  uploadPolicy: UploadPolicy;
  links: FileLinks;
  tokens: VisitorTokens;
  rateLimits: RateLimits;
  messages: VisitorMessages;
  views: WidgetViews;
  messageMaxLength: number;
  /** The hub sends email: `conversations/:id/transcript/email` is on. */
  transcriptByEmail: boolean;
}

/** Middleware every route file uses: a JSON body, and a checked visitor token. */
export interface WidgetMiddleware {
  json: RequestHandler[];
  visitor: RequestHandler;
}
