import { AppError } from '../../core/errors';

export class InvalidVisitorTokenError extends AppError {
  constructor(message = 'The visitor token is missing, invalid, or not for this website: start a new visitor with POST /widget/v1/visitors.') {
    super('unauthorized', 'invalid_visitor_token', message);
  }
}

export class OriginNotAllowedError extends AppError {
  constructor(origin: string | undefined) {
    super('forbidden', 'origin_not_allowed', origin ? `The page origin ${origin} is not among this website's allowed origins.` : "The request names no page origin (Origin or Referer), so it cannot be matched to the website's allowed origins.");
  }
}
