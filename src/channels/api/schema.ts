import { z } from 'zod';
import { attachmentInput, emailInput, MAX_ATTACHMENTS, messageText, nameInput, phoneInput, storedText } from '../../http/inputs';

export interface InboundSchemaOptions {
  messageMaxLength: number;
  defaultPhoneRegion?: string;
}

/** `POST /api/v1/inbound`: a customer's message from a system the hub has no adapter for. */
export function inboundSchema({ messageMaxLength, defaultPhoneRegion }: InboundSchemaOptions) {
  const contact = z
    .strictObject({
      externalId: storedText().trim().min(1).max(255).optional(),
      name: nameInput.optional(),
      email: emailInput.optional(),
      phone: phoneInput(defaultPhoneRegion).optional(),
    })
    // A name alone cannot tell two customers apart, so one of the identifying fields is required.
    .refine((c) => c.externalId !== undefined || c.email !== undefined || c.phone !== undefined, {
      message: 'needs at least one of externalId, email, phone to identify the customer',
    });

  return z
    .strictObject({
      sourceId: storedText().trim().min(1).max(255),
      contact,
      body: messageText(messageMaxLength),
      attachments: z.array(attachmentInput).max(MAX_ATTACHMENTS).optional(),
    })
    .refine((input) => input.body.trim().length > 0 || (input.attachments?.length ?? 0) > 0, {
      message: 'needs a non-empty body or at least one attachment',
      path: ['body'],
    });
}

export type InboundRequest = z.output<ReturnType<typeof inboundSchema>>;
