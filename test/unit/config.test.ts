import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configurationRows, readConfig } from '../../lib/infra/config';
import { documentedRows } from '../../scripts/lib/configurationTable';

// README, Configuration: "an invalid value stops the process with a message naming it"
describe('readConfig', () => {
  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_TIMEOUT_MS', '-5'],
    ['RELEASE_NOTES_MAX_LEN', '1e3'],
    ['PORT', ' 80'],
    ['EMBEDDED_PG_PORT', '0x10'],
    ['WEBHOOK_DELIVERER', 'yes'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['DATABASE_URL', 'not a url'],
    ['PUBLIC_URL', 'releases.example.com'],
    ['PUBLIC_URL', 'ftp://releases.example.com'],
    ['PUBLIC_URL', 'https://releases.example.com/?q=1'],
    ['TRUST_PROXY', 'yes'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });
});

describe('PUBLIC_URL', () => {
  it('defaults to the address npm start listens on, a wildcard address as localhost', () => {
    expect(readConfig({}).publicUrl).toBe('http://127.0.0.1:3000');
    expect(readConfig({ HOST: '0.0.0.0', PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(readConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080');
  });

  it('is taken as given, without a trailing slash, and proxies are not trusted unless told', () => {
    expect(readConfig({ PUBLIC_URL: 'https://releases.example.com/' }).publicUrl).toBe('https://releases.example.com');
    expect(readConfig({ PUBLIC_URL: 'https://x.example:8443/gw/' }).publicUrl).toBe('https://x.example:8443/gw');
    expect(readConfig({}).trustProxy).toBe(false);
    expect(readConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });
});

describe('the configuration table of README.md', () => {
  it('is the schema of the environment, row by row (npm run generate writes it)', () => {
    expect(documentedRows(fs.readFileSync('README.md', 'utf8'))).toEqual(configurationRows());
  });

  it('fills in the default of every variable that has one', () => {
    expect(readConfig({})).toMatchObject({ port: 3000, host: '127.0.0.1', databasePoolSize: 10, logLevel: 'info' });
    expect(readConfig({ PORT: '8080', WEBHOOK_DELIVERER: 'false' })).toMatchObject({
      port: 8080,
      webhookDeliverer: false,
    });
  });
});
