import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { describe, expect, it } from 'vitest';
import { cors, corsHeaders, preflight } from '../../lib/http/cors';
import { ConfigError, readConfig } from '../../lib/infra/config';
import { apiEvent, lambdaContext } from '../helpers/events';

const app = 'https://app.example.com';
const answer = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' });
/** An endpoint answering `answer`, with the header names lowercased first as in lib/http's stack. */
const withCors = (allowed: '*' | string[]) => middy(answer).use(httpHeaderNormalizer()).use(cors(allowed));

describe('CORS', () => {
  it('adds no CORS header at all when CORS_ORIGINS is unset, whatever the Origin', async () => {
    const response = await withCors([])(apiEvent({ headers: { origin: 'https://evil.example' } }), lambdaContext());
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('allows a listed origin by name, without credentials, and varies on Origin', async () => {
    const response = await withCors([app])(apiEvent({ headers: { Origin: app } }), lambdaContext());
    expect(response.headers).toEqual({
      'content-type': 'application/json',
      'access-control-allow-origin': app,
      'access-control-expose-headers':
        'location, link, x-request-id, idempotent-replayed, retry-after, content-disposition, etag, repr-digest, content-range, accept-ranges',
      vary: 'origin',
    });
  });

  it('allows nothing to an origin that is not listed', () => {
    expect(corsHeaders('https://app.example.com.evil.example', [app])).toEqual({ vary: 'origin' });
    expect(corsHeaders('null', [app])).toEqual({ vary: 'origin' });
  });

  it('answers * to any origin and never allows credentials with it', () => {
    expect(corsHeaders('https://anyone.example', '*')).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers':
        'location, link, x-request-id, idempotent-replayed, retry-after, content-disposition, etag, repr-digest, content-range, accept-ranges',
    });
  });

  it('answers a preflight from a listed origin with the methods and headers the API takes', () => {
    const event = apiEvent({ method: 'OPTIONS', headers: { origin: app, 'access-control-request-method': 'POST' } });
    expect(preflight(event, [app])).toEqual({
      statusCode: 204,
      headers: {
        'access-control-allow-origin': app,
        'access-control-expose-headers':
          'location, link, x-request-id, idempotent-replayed, retry-after, content-disposition, etag, repr-digest, content-range, accept-ranges',
        vary: 'origin',
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
        'access-control-allow-headers':
          'authorization, content-type, idempotency-key, range, if-none-match, if-range, x-request-id',
        'access-control-max-age': '600',
      },
      body: '',
    });
  });

  it('answers a preflight from an unlisted origin without permission', () => {
    const event = apiEvent({ method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(preflight(event, [app])).toEqual({ statusCode: 204, headers: { vary: 'origin' }, body: '' });
  });
});

describe('CORS_ORIGINS', () => {
  it('is off when unset, * when *, else the exact origins listed', () => {
    expect(readConfig({}).corsOrigins).toEqual([]);
    expect(readConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(readConfig({ CORS_ORIGINS: `${app}, http://localhost:5173` }).corsOrigins).toEqual([
      app,
      'http://localhost:5173',
    ]);
  });

  it.each([
    ['a path', 'https://app.example.com/'],
    ['no scheme', 'app.example.com'],
    ['* among origins', `${app},*`],
    ['another scheme', 'file://x'],
  ])('refuses %s, naming the variable', (_, value) => {
    expect(() => readConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => readConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});
