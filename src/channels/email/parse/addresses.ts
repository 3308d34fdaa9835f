import type { AddressObject, EmailAddress, Headers } from 'mailparser';
import { parseAddressHeader } from 'mailparser';
import type { MailAddress } from '../mail';
import { headerTexts } from './mime-headers';

/** Every mailbox of an address header, group members included. */
function mailboxes(value: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((object) => object.value.flatMap((entry) => (entry.group ? entry.group : [entry])));
}

function isAddressObject(value: unknown): value is AddressObject {
  return typeof value === 'object' && value !== null && Array.isArray((value as { value?: unknown }).value);
}

/** An address header mailparser parsed (`Delivered-To`), or a plain one it left as text (`X-Original-To`). */
function headerMailboxes(headers: Headers, name: string): EmailAddress[] {
  const value = headers.get(name);
  const values: unknown[] = Array.isArray(value) ? value : [value];
  const parsed = values.filter(isAddressObject);
  const texts = headerTexts(headers, name);
  return [...mailboxes(parsed), ...(texts.length > 0 ? mailboxes(parseAddressHeader(texts)) : [])];
}

export function senderOf(from: AddressObject | undefined): MailAddress | undefined {
  const first = mailboxes(from)[0];
  const address = first?.address?.trim().toLowerCase();
  if (!first || !address) return undefined;
  const name = first.name.trim();
  return name === '' ? { address } : { address, name };
}

/** To, Cc, Delivered-To and X-Original-To, lower case, in that order, each once. */
export function recipientsOf(to: AddressObject | AddressObject[] | undefined, cc: AddressObject | AddressObject[] | undefined, headers: Headers): string[] {
  const all = [...mailboxes(to), ...mailboxes(cc), ...headerMailboxes(headers, 'delivered-to'), ...headerMailboxes(headers, 'x-original-to')];
  const addresses = all.map((entry) => entry.address?.trim().toLowerCase() ?? '').filter((address) => address !== '');
  return [...new Set(addresses)];
}
