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
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
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
