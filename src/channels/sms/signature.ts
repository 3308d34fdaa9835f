import express, { type RequestHandler } from 'express';
import twilio from 'twilio';
import { ForbiddenError } from '../../core/errors';

/** Twilio's webhook forms are small; a larger body is not Twilio's. */
const FORM_LIMIT = '64kb';

/**
 * Parses Twilio's form post and checks its X-Twilio-Signature with the account's auth token. Twilio signs
 * the URL it was told to call, so the URL checked is PUBLIC_URL + the path and query: behind a proxy or
 * tunnel the hub's own address would never match.
 */
export function verifyTwilioSignature(authToken: string, publicUrl: string): RequestHandler[] {
  const verify: RequestHandler = (req, _res, next) => {
    const signature = req.get('x-twilio-signature');
    const params = (req.body ?? {}) as Record<string, string | string[]>;
    if (!signature) throw new ForbiddenError('The request has no X-Twilio-Signature.');
    if (!twilio.validateRequest(authToken, signature, publicUrl + req.originalUrl, params)) {
      throw new ForbiddenError('The X-Twilio-Signature does not match this request and PUBLIC_URL.');
    }
    next();
  };
  return [express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 200 }), verify];
}
