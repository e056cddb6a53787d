import { rootView } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3: GitHub's root document, which clients read to learn the API is there. */
export const handler = http(githubAccounts.ghRoot, async ({ origin }) => ok(rootView(origin)));
