import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** A phone number in E.164 (+4915112345678), or null when it is not a valid number. */
export function toE164(input: string, defaultRegion?: string): string | null {
  const parsed = parsePhoneNumberFromString(input, defaultRegion as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : null;
}
