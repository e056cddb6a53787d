import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../lib/infra/config';

// README, Configuration: "an invalid value stops the process with a message naming it"
describe('readConfig', () => {
  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_TIMEOUT_MS', '-5'],
    ['RELEASE_NOTES_MAX_LEN', '1e3'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['DATABASE_URL', 'not a url'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });
});
