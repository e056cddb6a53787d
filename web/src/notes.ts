import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const markdown = new Marked({ gfm: true, breaks: false, async: false });

const purify = DOMPurify(window);
// links in notes open elsewhere and tell nothing of this page
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

/**
 * Release notes (Markdown, written by anyone who may create a release) as safe DOM: marked renders them, and
 * DOMPurify keeps only inert HTML (no script, no event handler attribute, no javascript: URL, no form, no
 * style). The page's Content-Security-Policy, which allows no inline script, is the second wall behind it.
 */
export function renderNotes(notes: string): DocumentFragment {
  const html = markdown.parse(notes) as string;
  return purify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option'],
    FORBID_ATTR: ['style'],
    RETURN_DOM_FRAGMENT: true,
  });
}
