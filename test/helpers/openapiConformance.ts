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
 * Checks responses against the OpenAPI document: the route is found by its path template (static segments before
 * parameters), the status must be documented for it, and the body must match the documented schema.
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
    const operation = route && doc.paths[route.template]![method.toLowerCase()];
    if (!route || !operation) return null; // not an API route (serverless-offline's own 404 page)
    const response = operation.responses[String(status)];
    if (!response) return `${method} ${route.template} answered ${status}, which the document does not list`;
    if (!response.content) return null;
    const type = contentType?.split(';')[0] ?? '';
    const media = response.content[type];
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
