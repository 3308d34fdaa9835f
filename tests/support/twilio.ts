/**
 * Settings that turn the SMS channel on, for tests that check every route (OpenAPI, scopes) but send no
 * SMS: the API URL is a closed port, so a send would fail rather than reach anything.
 */
export const TWILIO_TEST_ENV: Record<string, string> = {
  TWILIO_ACCOUNT_SID: `AC${'0f'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: 'c0ffee'.repeat(5) + 'ab',
  TWILIO_API_URL: 'http://127.0.0.1:9',
};
