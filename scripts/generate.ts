/**
 * npm run generate: writes what is made from one declaration elsewhere: serverless.yml's functions from the contracts
 * (schemas/contracts), and the README's configuration table from the schema of the environment (schemas/config.ts).
 * npm test fails while either differs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfigurationTable } from './lib/configurationTable';
import { writeFunctions } from './lib/serverlessFunctions';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (changed: boolean, what: string) => console.log(`${what}: ${changed ? 'written' : 'up to date'}`);
say(writeFunctions(path.join(root, 'serverless.yml')), "serverless.yml's functions");
say(writeConfigurationTable(path.join(root, 'README.md')), "README.md's configuration table");
