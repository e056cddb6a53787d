import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stack } from '../../lib/http';
import { contracts } from '../../schemas/contracts';

// docs/request-lifecycle.md names the steps of lib/http's stack in order; this holds the two equal.
const doc = fs.readFileSync('docs/request-lifecycle.md', 'utf8');
const section = doc.slice(doc.indexOf('## The stack, in order'), doc.indexOf('\nThen the handler'));
const documented = [...section.matchAll(/^\d+\. `([^`]+)`/gm)].map((match) => match[1]);
const steps = (name: keyof typeof contracts) => stack(contracts[name]).map(({ step }) => step);

describe('docs/request-lifecycle.md', () => {
  it('lists the steps of the stack in the order lib/http builds them', () => {
    // an upload to a repo takes every step: a body, a scope, a repo to belong to, retries with a key
    expect(steps('createArtifact')).toEqual(documented);
  });

  it('draws the same steps in its picture', () => {
    const drawn = /before ─►([\s\S]*?)│\n\s+│\s+fn\(/.exec(doc)?.[1] ?? '';
    const names = drawn
      .replace(/[│\n]/g, ' ')
      .split('·')
      .map((name) => name.trim());
    expect(names).toEqual(documented);
  });

  it('leaves out what a contract does not need', () => {
    expect(steps('health')).toEqual([
      'headers',
      'head',
      'access log',
      'cors',
      'problem details',
      'host',
      'path ids',
      'input',
    ]);
    expect(steps('getDeployment')).toEqual([
      'headers',
      'head',
      'access log',
      'cors',
      'problem details',
      'host',
      'path ids',
      'authentication',
      'input',
    ]);
    expect(steps('createToken')).toEqual([
      'headers',
      'head',
      'access log',
      'cors',
      'problem details',
      'host',
      'path ids',
      'authentication',
      'body',
      'input',
      'idempotency: claim',
    ]);
  });
});
