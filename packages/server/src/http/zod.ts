/**
 * Route schemas are zod schemas: fastify validates requests with them (a clear 400 on bad input), serializes every
 * response through the schema documented for its status, and @fastify/swagger documents them through zod's own JSON
 * Schema output. So /docs/json cannot drift from what the routes answer: a response that does not fit its documented
 * shape is a 500 (logged) rather than an undocumented answer, and keys the schema does not name are dropped, never sent.
 */
import type { FastifyInstance, FastifySchema, FastifyServerOptions } from 'fastify';
import { z } from 'zod';

function isZod(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** What Fastify hands a schema compiler, as both its compiler setters and its compilersFactory see it. */
type RouteSchemaDef = { schema?: unknown; method?: string; url?: string; httpStatus?: string };

/** Validates a request part with its zod schema (a clear 400 on bad input); a part with no zod schema passes as is. */
const validatorCompiler = ({ schema }: RouteSchemaDef) => (data: unknown): { value: unknown } | { error: Error } => {
  if (!isZod(schema)) return { value: data };
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  return { error: new Error(`${where}: ${issue?.message ?? 'invalid'}`) };
};

/** Serializes a response through the zod schema of its status; one that does not fit is a ResponseShapeError. */
const serializerCompiler = ({ schema, method, url, httpStatus }: RouteSchemaDef) => {
  if (!isZod(schema)) return (data: unknown) => JSON.stringify(data);
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ResponseShapeError(`${method ?? ''} ${url ?? ''} ${httpStatus ?? ''}: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || 'body'}: ${issue.message}`}`);
    }
    return JSON.stringify(result.data);
  };
};

export function installZod(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
}

/**
 * Our compilers from the start, for a Fastify instance of our own (`Fastify({ schemaController: zodSchemaController })`):
 * otherwise Fastify loads its default ones (ajv and fast-json-stringify) while it is built, which no route of ours
 * ever uses, and that loading was a tenth of a cold start here.
 */
export const zodSchemaController = {
  compilersFactory: { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler },
  // Fastify's types name Ajv's and fast-json-stringify's function types here; at run time it takes any compiler, as
  // setValidatorCompiler / setSerializerCompiler do (whose types these compilers satisfy).
} as unknown as NonNullable<FastifyServerOptions['schemaController']>;

/** A route answered something its documented response schema does not allow: a bug of ours, answered as a 500. */
export class ResponseShapeError extends Error {
  override name = 'ResponseShapeError';
}

function toJson(schema: unknown, io: 'input' | 'output'): unknown {
  if (!isZod(schema)) return schema;
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** @fastify/swagger `transform`: zod → JSON Schema for every part of a route's schema. */
export function swaggerTransform(input: { schema: FastifySchema | undefined; url: string }): { schema: FastifySchema; url: string } {
  const { url } = input;
  const schema = input.schema as Record<string, unknown> | undefined;
  if (schema === undefined) return { schema: {}, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
    if (schema[part] !== undefined) out[part] = toJson(schema[part], 'input');
  }
  const response = schema.response as Record<string, unknown> | undefined;
  if (response !== undefined) {
    out.response = Object.fromEntries(Object.entries(response).map(([status, s]) => [status, toJson(s, 'output')]));
  }
  return { schema: out, url };
}
