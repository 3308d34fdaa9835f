import { z } from 'zod';
import type { ApiRoutes, RouteSpec } from '../http/route';

const errorIssue = z.object({
  path: z.string().describe('The input field, dotted (`contact.email`), or a header name'),
  message: z.string(),
  code: z.string(),
  allowed: z.array(z.string()).optional().describe('The values the field could take instead, where known'),
});

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(errorIssue).optional().describe('What is wrong, one entry per field'),
  }),
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (malformed JSON or failing validation; `details` names the fields)',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key lacks the scope',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  415: 'Request body is not application/json',
  429: 'Too many requests',
  503: 'A dependency is unavailable',
};

const UPLOAD_ERROR_DESCRIPTIONS: Record<number, string> = {
  413: 'The file is larger than the upload limit (file_too_large)',
  415: "The file's type, read from its bytes, is not accepted (unsupported_file_type)",
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    description: property.description,
    schema: property,
  }));
}

function operation(spec: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const contentType = response.contentType ?? 'application/json';
    const alternatives = Object.fromEntries(Object.entries(response.alternatives ?? {}).map(([type, description]) => [type, { schema: { type: 'string', description } }]));
    const main = response.schema || response.contentType ? { [contentType]: response.schema ? { schema: jsonSchema(response.schema, 'output') } : {} } : {};
    const content = { ...main, ...alternatives };
    responses[status] = { description: response.description, ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  const errorStatuses = [...new Set([...(spec.body || spec.query || spec.params ? [400] : []), 401, 403, ...(spec.body || spec.upload ? [413, 415] : []), ...(spec.errors ?? [])])];
  for (const status of errorStatuses) {
    const description = (spec.upload ? UPLOAD_ERROR_DESCRIPTIONS[status] : undefined) ?? ERROR_DESCRIPTIONS[status] ?? 'Error';
    responses[String(status)] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    'x-scope': spec.scope,
    parameters: [
      ...parameters(spec.params, 'path'),
      ...parameters(spec.query, 'query'),
      ...(spec.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } })),
    ],
    ...(spec.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input'), ...(spec.example !== undefined ? { example: spec.example } : {}) } } } }
      : {}),
    ...(spec.upload ? { requestBody: { required: true, description: spec.upload.description, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } } : {}),
    responses,
  };
}

/** Where the document is served; it needs no API key. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/** Express `/conversations/:id` → OpenAPI `/conversations/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The OpenAPI 3.1 document of the REST API, generated from the same zod schemas that validate requests. */
export function buildOpenApi(routes: ApiRoutes, version: string, serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        tags: ['Meta'],
        security: [],
        responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': {} } } },
      },
    },
  };
  for (const spec of routes.all) {
    const path = `/api/v1${openApiPath(spec.path)}`;
    paths[path] = { ...paths[path], [spec.method]: operation(spec) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard API', version, description: 'Conversations, messages, contacts, agents and live events of a Switchboard hub.' },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `npm run hub -- api-key create --name NAME`' } },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
    },
  };
}
