import fc from 'fast-check';
import { ConfigError, describeConfig, loadConfig, settings, type Config } from '../../config';

const CWD = '/srv/switchboard';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

function described(config: Config): Record<string, string> {
  return Object.fromEntries(describeConfig(config).map(({ env, value }) => [env, value]));
}

describe('loadConfig', () => {
  it('has a default for every setting that needs one', () => {
    const config = loadConfig({}, CWD);
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      trustProxy: false,
      dataDir: '/srv/switchboard/data',
      databaseSchema: 'public',
      redisPrefix: 'switchboard',
      logLevel: 'info',
      httpBodyLimitBytes: 1048576,
      messageMaxLength: 10000,
      reopenWindowHours: 24,
      outboxRelayIntervalMs: 1000,
      workerConcurrency: 20,
      shutdownTimeoutMs: 10000,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.defaultPhoneRegion).toBeUndefined();
  });

  it('describes every setting with its environment variable', () => {
    for (const definition of Object.values(settings)) {
      expect(definition.env).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(definition.description.length).toBeGreaterThan(10);
    }
    expect(new Set(Object.values(settings).map((s) => s.env)).size).toBe(Object.keys(settings).length);
  });

  it('takes overrides from the environment, typed', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '127.0.0.1',
        TRUST_PROXY: 'yes',
        DATABASE_URL: 'postgres://hub:pw@db.internal:5432/hub',
        DATABASE_SCHEMA: 'tenant_1',
        REDIS_URL: 'rediss://cache.internal:6380',
        REDIS_PREFIX: 'sb-prod.1',
        LOG_LEVEL: 'debug',
        HTTP_BODY_LIMIT_BYTES: '2048',
        MESSAGE_MAX_LENGTH: '1',
        DEFAULT_PHONE_REGION: 'DE',
        CONVERSATION_REOPEN_WINDOW_HOURS: '0',
        WORKER_CONCURRENCY: '3',
      },
      CWD,
    );
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8080',
      trustProxy: true,
      databaseUrl: 'postgres://hub:pw@db.internal:5432/hub',
      databaseSchema: 'tenant_1',
      redisUrl: 'rediss://cache.internal:6380',
      redisPrefix: 'sb-prod.1',
      logLevel: 'debug',
      httpBodyLimitBytes: 2048,
      messageMaxLength: 1,
      defaultPhoneRegion: 'DE',
      reopenWindowHours: 0,
      workerConcurrency: 3,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads TRUST_PROXY=%s as %s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }, CWD).trustProxy).toBe(expected);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '', DEFAULT_PHONE_REGION: '' }, CWD);
    expect(config).toMatchObject({ port: 3000, logLevel: 'info' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.defaultPhoneRegion).toBeUndefined();
  });

  it('derives PUBLIC_URL from PORT unless it is given, without a trailing slash', () => {
    expect(loadConfig({ PORT: '4100' }, CWD).publicUrl).toBe('http://localhost:4100');
    expect(loadConfig({ PORT: '4100', PUBLIC_URL: 'https://chat.example.com/' }, CWD).publicUrl).toBe('https://chat.example.com');
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/hub//' }, CWD).publicUrl).toBe('https://example.com/hub');
  });

  it('makes DATA_DIR absolute against the working directory', () => {
    expect(loadConfig({ DATA_DIR: 'var/hub' }, CWD).dataDir).toBe('/srv/switchboard/var/hub');
    expect(loadConfig({ DATA_DIR: '../shared' }, CWD).dataDir).toBe('/srv/shared');
    expect(loadConfig({ DATA_DIR: '/var/lib/switchboard' }, CWD).dataDir).toBe('/var/lib/switchboard');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '0x50'],
    ['PUBLIC_URL', 'chat.example.com'],
    ['PUBLIC_URL', 'ftp://chat.example.com'],
    ['TRUST_PROXY', 'maybe'],
    ['DATABASE_URL', 'mysql://db/hub'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_SCHEMA', 'Tenant-1'],
    ['DATABASE_SCHEMA', '1tenant'],
    ['REDIS_URL', 'http://cache:6379'],
    ['REDIS_PREFIX', 'has:colon'],
    ['REDIS_PREFIX', 'has space'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['HTTP_BODY_LIMIT_BYTES', '1023'],
    ['HTTP_BODY_LIMIT_BYTES', '1mb'],
    ['MESSAGE_MAX_LENGTH', '0'],
    ['DEFAULT_PHONE_REGION', 'us'],
    ['DEFAULT_PHONE_REGION', 'USA'],
    ['CONVERSATION_REOPEN_WINDOW_HOURS', '-1'],
    ['CONVERSATION_REOPEN_WINDOW_HOURS', '1.5'],
    ['OUTBOX_RELAY_INTERVAL_MS', '10'],
    ['API_KEY_CACHE_TTL_MS', '-1'],
    ['WORKER_CONCURRENCY', '0'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon'],
  ])('refuses %s=%s with a ConfigError naming the variable', (env, value) => {
    const error = configError({ [env]: value });
    expect(error.setting).toBe(env);
    expect(error.message).toMatch(new RegExp(`^Invalid setting ${env}: `));
    expect(error.message).not.toContain('\n');
  });

  it('shows a bad value in the error, except for secrets', () => {
    expect(configError({ PORT: 'abc' }).message).toContain('"abc"');
    const secret = configError({ DATABASE_URL: 'mysql://hub:hunter2@db/hub' });
    expect(secret.message).toContain('DATABASE_URL');
    expect(secret.message).not.toContain('hunter2');
    expect(configError({ REDIS_URL: 'http://:hunter2@cache' }).message).not.toContain('hunter2');
  });

  it('never throws anything but a ConfigError naming a setting, for any value of any setting', () => {
    const names = Object.values(settings).map((s) => s.env);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.string({ unit: 'binary' }), (env, value) => {
        try {
          loadConfig({ [env]: value }, CWD);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          // Usually the setting itself; a setting that needs another one names the one that is missing.
          const { setting, message } = error as ConfigError;
          expect(names).toContain(setting);
          expect(message).toContain(setting);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('describeConfig', () => {
  it('lists every setting once, by its environment variable', () => {
    const rows = describeConfig(loadConfig({}, CWD));
    expect(rows.map((r) => r.env)).toEqual(Object.values(settings).map((s) => s.env));
    for (const row of rows) expect(row.description).toBeTruthy();
    expect(described(loadConfig({}, CWD))).toMatchObject({ PORT: '3000', PUBLIC_URL: 'http://localhost:3000', DATA_DIR: '/srv/switchboard/data', LOG_LEVEL: 'info' });
  });

  it('redacts the password of DATABASE_URL and REDIS_URL and keeps the rest readable', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://hub:hunter2@db.internal:5432/hub', REDIS_URL: 'redis://:s3cret@cache.internal:6379/2' }, CWD);
    const values = described(config);
    expect(values.DATABASE_URL).toBe('postgres://hub:***@db.internal:5432/hub');
    expect(values.REDIS_URL).toBe('redis://:***@cache.internal:6379/2');
    expect(JSON.stringify(describeConfig(config))).not.toMatch(/hunter2|s3cret/);
  });

  it('redacts a password given as a query parameter', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://hub@db.internal/hub?sslmode=require&password=hunter2', REDIS_URL: 'redis://cache.internal:6379?Password=s3cret' }, CWD);
    const values = described(config);
    expect(values.DATABASE_URL).toContain('sslmode=require');
    expect(JSON.stringify(describeConfig(config))).not.toMatch(/hunter2|s3cret/);
  });

  it('leaves URLs without a password as they are', () => {
    const values = described(loadConfig({ DATABASE_URL: 'postgres://db.internal:5432/hub', REDIS_URL: 'redis://127.0.0.1:6379' }, CWD));
    expect(values.DATABASE_URL).toBe('postgres://db.internal:5432/hub');
    expect(values.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('never shows the value of a secret setting that is set', () => {
    const secrets = Object.values(settings).filter((s) => s.secret === true);
    expect(secrets.map((s) => s.env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
    const samples: Record<string, string> = { DATABASE_URL: 'postgres://u:topsecretvalue@h/db', REDIS_URL: 'redis://u:topsecretvalue@h:6379' };
    for (const secret of secrets) {
      const value = samples[secret.env] ?? `whsec_${Buffer.from('topsecretvalue-topsecretvalue').toString('base64')}`;
      let config: Config;
      try {
        config = loadConfig({ [secret.env]: value }, CWD);
      } catch {
        continue; // a secret whose format this test does not know
      }
      const shown = described(config)[secret.env] ?? '';
      expect(shown).not.toContain('topsecretvalue');
      expect(shown).not.toContain(Buffer.from('topsecretvalue-topsecretvalue').toString('base64'));
    }
  });
});

describe('SMS settings', () => {
  const sid = `AC${'ab'.repeat(16)}`;
  const token = 'f'.repeat(32);

  it('leaves the SMS channel off without credentials, and needs both of them', () => {
    expect(loadConfig({}, CWD)).toMatchObject({ twilioAccountSid: undefined, twilioAuthToken: undefined, twilioNumbers: [], twilioApiUrl: 'https://api.twilio.com' });
    expect(configError({ TWILIO_ACCOUNT_SID: sid }).setting).toBe('TWILIO_AUTH_TOKEN');
    expect(configError({ TWILIO_AUTH_TOKEN: token }).setting).toBe('TWILIO_ACCOUNT_SID');
    expect(configError({ TWILIO_ACCOUNT_SID: 'ACnothex', TWILIO_AUTH_TOKEN: token }).setting).toBe('TWILIO_ACCOUNT_SID');
  });

  it('reads numbers with optional teams, and writes them back the same way', () => {
    const config = loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: token, TWILIO_NUMBERS: ' +14155550100=Support , +14155550101,+442079460958=Sales = UK ' }, CWD);
    expect(config.twilioNumbers).toEqual([
      { address: '+14155550100', teamName: 'Support' },
      { address: '+14155550101', teamName: undefined },
      { address: '+442079460958', teamName: 'Sales = UK' },
    ]);
    expect(described(config)).toMatchObject({ TWILIO_NUMBERS: '+14155550100=Support,+14155550101,+442079460958=Sales = UK', TWILIO_AUTH_TOKEN: '***' });
    for (const bad of ['4155550100', '+14155550100;+14155550101', '+1415=']) {
      expect(configError({ TWILIO_NUMBERS: bad }).setting).toBe('TWILIO_NUMBERS');
    }
  });

  it('checks the upload limits and types', () => {
    expect(loadConfig({ UPLOAD_ALLOWED_TYPES: 'image/PNG, application/pdf' }, CWD).uploadAllowedTypes).toEqual(['image/png', 'application/pdf']);
    expect(configError({ UPLOAD_ALLOWED_TYPES: 'png' }).setting).toBe('UPLOAD_ALLOWED_TYPES');
    expect(configError({ UPLOAD_MAX_BYTES: '10' }).setting).toBe('UPLOAD_MAX_BYTES');
  });
});

describe('Slack settings', () => {
  const slack = { SLACK_BOT_TOKEN: 'xoxb-1234567890-abcdef', SLACK_SIGNING_SECRET: 'a'.repeat(32), SLACK_DEFAULT_CHANNEL: 'C0123ABCD' };

  it('turns Slack on only with the token, the signing secret and a channel together', () => {
    expect(loadConfig(slack, CWD)).toMatchObject({ slackDefaultChannel: 'C0123ABCD', slackApiUrl: 'https://slack.com/api/' });
    expect(configError({ ...slack, SLACK_DEFAULT_CHANNEL: '' }).setting).toBe('SLACK_DEFAULT_CHANNEL');
    expect(configError({ SLACK_BOT_TOKEN: slack.SLACK_BOT_TOKEN }).setting).toBe('SLACK_SIGNING_SECRET');
    expect(configError({ ...slack, SLACK_BOT_TOKEN: 'not-a-token' }).setting).toBe('SLACK_BOT_TOKEN');
    expect(configError({ ...slack, SLACK_DEFAULT_CHANNEL: '#support' }).setting).toBe('SLACK_DEFAULT_CHANNEL');
    expect(loadConfig({ ...slack, SLACK_API_URL: 'http://127.0.0.1:9/api' }, CWD).slackApiUrl).toBe('http://127.0.0.1:9/api/');
    expect(described(loadConfig(slack, CWD))).toMatchObject({ SLACK_BOT_TOKEN: '***', SLACK_SIGNING_SECRET: '***' });
  });
});

describe('email settings', () => {
  const email = { SMTP_URL: 'smtp://user:secret@smtp.provider.example:587', MAIL_FROM: 'Acme Support <Support@Acme.example>' };

  it('turns email on with SMTP_URL and MAIL_FROM together, and reads the sender with its name', () => {
    const config = loadConfig(email, CWD);
    expect(config.mailFrom).toEqual({ name: 'Acme Support', address: 'support@acme.example' });
    expect(loadConfig({ ...email, MAIL_FROM: 'support@acme.example' }, CWD).mailFrom).toEqual({ address: 'support@acme.example' });
    expect(configError({ SMTP_URL: email.SMTP_URL }).setting).toBe('MAIL_FROM');
    expect(configError({ ...email, MAIL_FROM: 'Acme <not an address>' }).setting).toBe('MAIL_FROM');
    expect(configError({ ...email, SMTP_URL: 'http://smtp.provider.example' }).setting).toBe('SMTP_URL');
    expect(described(config)).toMatchObject({ SMTP_URL: 'smtp://user:***@smtp.provider.example:587', MAIL_FROM: 'Acme Support <support@acme.example>' });
  });

  it('reads support addresses with optional teams, refusing plus-addresses, and writes them back the same way', () => {
    const config = loadConfig({ ...email, EMAIL_ADDRESSES: ' Support@Acme.example=Support , billing@acme.example' }, CWD);
    expect(config.emailAddresses).toEqual([
      { address: 'support@acme.example', teamName: 'Support' },
      { address: 'billing@acme.example', teamName: undefined },
    ]);
    expect(described(config)).toMatchObject({ EMAIL_ADDRESSES: 'support@acme.example=Support,billing@acme.example' });
    expect(configError({ ...email, EMAIL_ADDRESSES: 'support+x@acme.example' }).setting).toBe('EMAIL_ADDRESSES');
    expect(configError({ EMAIL_ADDRESSES: 'support@acme.example' }).setting).toBe('SMTP_URL');
  });

  it('needs both halves of STARTTLS, all of DKIM, and a password of some length for AUTH', () => {
    const listening = { ...email, INBOUND_SMTP_PORT: '2525' };
    expect(configError({ ...listening, INBOUND_SMTP_TLS_CERT: '/etc/tls/cert.pem' }).setting).toBe('INBOUND_SMTP_TLS_KEY');
    expect(configError({ ...email, INBOUND_SMTP_TLS_CERT: '/c.pem', INBOUND_SMTP_TLS_KEY: '/k.pem' }).setting).toBe('INBOUND_SMTP_PORT');
    expect(configError({ ...email, DKIM_DOMAIN: 'acme.example', DKIM_SELECTOR: 's1' }).setting).toBe('DKIM_PRIVATE_KEY');
    expect(loadConfig({ ...listening, INBOUND_SMTP_AUTH: 'relay:pass:with:colons' }, CWD).inboundSmtpAuth).toEqual({ user: 'relay', password: 'pass:with:colons' });
    expect(configError({ ...listening, INBOUND_SMTP_AUTH: 'relay:short' }).setting).toBe('INBOUND_SMTP_AUTH');
    expect(described(loadConfig({ ...listening, INBOUND_SMTP_AUTH: 'relay:long-password' }, CWD))).toMatchObject({ INBOUND_SMTP_AUTH: '***' });
  });
});
