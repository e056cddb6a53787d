type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

/**
 * An element with attributes and children. Text is always set as text (a text node), never parsed as HTML: data
 * from the API can never become markup here. `on<event>` attributes take listeners.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children
      .filter((child): child is Node | string | number => child !== null && child !== undefined && child !== false)
      .map((child) => (typeof child === 'number' ? String(child) : child)),
  );
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Says what a write did (or why it failed) where the user is looking: the pipeline's status line. */
export function say(message: string, error = false): void {
  const status = byId('pipeline-status');
  status.className = error ? 'pipeline-status error' : 'pipeline-status';
  status.textContent = message;
}

/** The page's alert: what went wrong, or hidden with null. */
export function showAlert(message: string | null): void {
  const alert = byId('alert');
  alert.textContent = message ?? '';
  alert.hidden = message === null;
}
