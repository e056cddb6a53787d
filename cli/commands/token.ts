import type { CreatedToken, TokenSummary } from '../../schemas/tokens';
import { call } from '../api';
import { CliError, type Command, table } from '../args';

/** token create | list | revoke: the caller's own tokens. */
export const token: Command = {
  usage: `  token create <name> --scopes read,deploy [--expires <ISO time>]
                                                          a token for you, with some of this token's scopes
  token list                                              your tokens: scopes, expiry, last use
  token revoke <id>                                       revoke one of your tokens at once`,
  options: { scopes: { type: 'string' }, expires: { type: 'string' } },
  async run(context) {
    const { api, args } = context;
    const [verb, id] = args;
    if (verb === 'create' && args.length === 2 && id !== undefined) {
      const scopes = context.string('scopes');
      const expires = context.string('expires');
      if (!scopes) throw new CliError('token create needs --scopes, e.g. --scopes read,deploy', 2);
      const json = {
        name: id,
        scopes: scopes.split(',').map((scope) => scope.trim()),
        ...(expires ? { expiresAt: expires } : {}),
      };
      const made = await call<CreatedToken>(api, 'POST', '/tokens', { json }, true);
      const expiry = made.expiresAt ? `expires ${made.expiresAt}` : 'never expires';
      return {
        json: made,
        human: `token ${made.id}  ${made.name}  ${made.scopes.join(',')}  ${expiry}\n${made.token}\n(shown only now: keep it secret)`,
      };
    }
    if (verb === 'list' && args.length === 1) {
      const page = await call<{ items: TokenSummary[] }>(api, 'GET', '/tokens?limit=100');
      const rows = [
        ['ID', 'NAME', 'SCOPES', 'EXPIRES', 'LAST USED'],
        ...page.items.map((t) => [t.id, t.name, t.scopes.join(','), t.expiresAt ?? 'never', t.lastUsedAt ?? 'never']),
      ];
      return { json: page, human: table(rows) };
    }
    if (verb === 'revoke' && args.length === 2 && id !== undefined) {
      await call<null>(api, 'DELETE', `/tokens/${encodeURIComponent(id)}`);
      return { json: { revoked: id }, human: `token ${id} revoked` };
    }
    throw context.usageError('token takes create <name> --scopes …, list, or revoke <id>');
  },
};
