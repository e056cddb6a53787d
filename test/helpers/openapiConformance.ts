import Ajv from 'ajv';
import addFormats from 'ajv-formats';

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
};

/**
 * Checks responses against the OpenAPI document, strictly: the route must be in the document (found by its path
 * template, static segments before parameters) with this method, the status must be documented for it, a 5xx never
 * conforms (it is a bug or an outage, never the contract), a response without a body conforms only where the
 * document declares no content, and a body must match the documented schema of its media type.
 */
export function conformanceChecker(doc: Doc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const format of ['semver', 'release-ref', 'sha256']) ajv.addFormat(format, true);
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  const routes = Object.keys(doc.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => a.params - b.params);
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

  return (method: string, path: string, status: number, contentType: string | null, body: unknown): string | null => {
    const route = routes.find((r) => r.pattern.test(path));
    if (!route) return `${method} ${path} matches no route of the document`;
    const operation = doc.paths[route.template]![method.toLowerCase()];
    if (!operation) return `${method} ${route.template} is not an operation of the document`;
    if (status >= 500) return `${method} ${route.template} answered ${status}: a 5xx is never the documented contract`;
    const response = operation.responses[String(status)];
    if (!response) return `${method} ${route.template} answered ${status}, which the document does not list`;
    const empty = body === undefined || body === null || body === '';
    if (!response.content) {
      return empty ? null : `${method} ${route.template} ${status} has a body, the document says no content`;
    }
    if (empty) return `${method} ${route.template} ${status} has no body, the document says it has one`;
    const type = contentType?.split(';')[0] ?? '';
    // a file is served as whatever type it was stored as: the document says */*
    const media = response.content[type] ?? response.content['*/*'];
    if (!media)
      return `${method} ${route.template} ${status} answered ${type}, the document says ${Object.keys(response.content).join(', ')}`;
    const key = `${method} ${route.template} ${status} ${type}`;
    if (!compiled.has(key)) {
      const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components/', '"doc#/components/'));
      compiled.set(key, ajv.compile(schema));
    }
    const validate = compiled.get(key)!;
    return validate(body) ? null : `${key}: ${ajv.errorsText(validate.errors)}`;
  };
}
