import { h } from './dom';

interface Downloadable {
  id: string;
  name: string;
  sha256: string;
}

/** The hex SHA-256 of `bytes`, or null where the browser offers no WebCrypto (a page not served from a secure origin). */
async function sha256Of(bytes: ArrayBuffer): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The problem `detail` of a refused download, else its status. */
async function refusal(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: string; title?: string };
    return problem.detail || problem.title || `The API answered ${response.status}.`;
  } catch {
    return `The API answered ${response.status} ${response.statusText}`.trim();
  }
}

/**
 * A link that downloads an artifact's file. The API takes the token in a header, which a plain link cannot send, so a
 * click fetches the bytes with it, checks them against the artifact's SHA-256, and saves them from a blob URL under
 * the artifact's name. The browser holds the whole file in memory meanwhile: for very large files, use the CLI.
 * `tokenKey` names the session's token in sessionStorage, read at each click (the page may have signed in again).
 */
export function downloadLink(repoId: string, artifact: Downloadable, tokenKey: string): HTMLElement {
  const url = `api/v1/repos/${encodeURIComponent(repoId)}/artifacts/${encodeURIComponent(artifact.id)}/content`;
  const status = h('span', { class: 'download-status muted', role: 'status' });
  const say = (text: string, error = false) => {
    status.textContent = text ? ` ${text}` : '';
    status.className = `download-status ${error ? 'error' : 'muted'}`;
  };
  async function save(): Promise<void> {
    say('downloading…');
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}` },
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (err) {
      return say(`The API could not be reached (${(err as Error).message}).`, true);
    }
    if (!response.ok) return say(await refusal(response), true);
    const bytes = await response.arrayBuffer();
    const digest = await sha256Of(bytes);
    if (digest !== null && digest !== artifact.sha256) {
      return say(`The bytes received do not match the artifact's SHA-256 (got ${digest}); nothing was saved.`, true);
    }
    const blob = URL.createObjectURL(new Blob([bytes], { type: response.headers.get('content-type') ?? '' }));
    const anchor = h('a', { href: blob, download: artifact.name, hidden: true });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    // revoked once the browser has surely taken the bytes; an immediate revoke can cancel the download
    setTimeout(() => URL.revokeObjectURL(blob), 60_000);
    say(digest === null ? 'saved (not checked: this page is not on a secure origin)' : 'saved, SHA-256 checked');
  }
  const link = h(
    'a',
    {
      href: url,
      'data-download': artifact.id,
      onclick: (event) => {
        event.preventDefault();
        void save();
      },
    },
    artifact.name,
  );
  return h('span', {}, link, status);
}
