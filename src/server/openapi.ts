import { z } from "zod";
import { pathParams, type Route, takesQuery, UPLOAD_FIELDS } from "./routes.js";
import { UPLOAD_TYPES } from "./uploads.js";

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
};

/**
 * An operation's input as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the fields the path gives (nor, for
 * an upload, those the body gives).
 */
function inputSchema(route: Route): JsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(route.op.input, {
    io: "input",
    target: "draft-2020-12",
    unrepresentable: "any",
  }) as JsonSchema;
  const inPath = new Set<string>([...pathParams(route.path), ...(route.upload ? UPLOAD_FIELDS : [])]);
  if (inPath.size === 0 || !schema.properties) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !inPath.has(k)));
  const required = (schema.required ?? []).filter((k) => !inPath.has(k));
  return { ...schema, properties, ...(required.length > 0 ? { required } : { required: undefined }) };
}

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "path"],
      properties: {
        code: { type: "string", description: "stable: what went wrong (unknown-segment, bad-input, …)" },
        message: { type: "string", description: "the reason, for people" },
        path: {
          type: ["string", "null"],
          description: "where: the request field's path, a file, a part of a definition",
        },
      },
    },
  },
} as const;

const ERROR_ANSWER = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

/**
 * An upload's body: the file itself, in any of the formats the importer reads (binary: OpenAPI 3.1 describes it by
 * its media type alone). Gzip with `Content-Encoding: gzip` or `application/gzip`; `application/octet-stream`: the
 * format is found from the bytes.
 */
const UPLOAD_BODY = {
  required: true,
  description:
    "The file to import: CSV, NDJSON or a JSON array, or Parquet, gzip-compressed or not (Content-Encoding: gzip, " +
    "or application/gzip). application/octet-stream: the format is found from the bytes. Its name in messages: " +
    "?name=, else the Content-Disposition's filename, else upload.",
  content: Object.fromEntries(Object.keys(UPLOAD_TYPES).map((type) => [type, {}])),
} as const;

/** One route as an OpenAPI operation object. */
function operationObject(route: Route): Record<string, unknown> {
  const schema = inputSchema(route);
  const parameters = [
    ...pathParams(route.path).map((name) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...(takesQuery(route)
      ? Object.entries(schema.properties ?? {}).map(([name, s]) => ({
          name,
          in: "query",
          required: (schema.required ?? []).includes(name),
          schema: s,
          // A list is given comma-separated, or the parameter repeated.
          ...(s.type === "array" ? { style: "form", explode: false } : {}),
        }))
      : []),
  ];
  return {
    operationId: route.op.name,
    summary: route.op.summary,
    description: `Needs the permission ${route.permission}.`,
    security: [{ apiKey: [] }],
    tags: [route.path.split("/")[2] ?? "api"],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.upload
      ? { requestBody: UPLOAD_BODY }
      : takesQuery(route)
        ? {}
        : {
            requestBody: {
              required: (schema.required ?? []).length > 0,
              content: { "application/json": { schema: cleaned(schema) } },
            },
          }),
    responses: {
      "200": {
        description: `the operation's result (the same document as \`tessera … --json\`)${route.op.access !== "none" && route.op.people ? "; names people: recorded in the audit log" : ""}`,
        content: { "application/json": { schema: { type: "object" } } },
      },
      "400": ERROR_ANSWER("the input is not what the operation takes (the field is named)"),
      "401": ERROR_ANSWER("no API key, or not a valid one"),
      "403": ERROR_ANSWER(`the key's role lacks the permission ${route.permission}`),
      "404": ERROR_ANSWER("something the input names does not exist"),
      "409": ERROR_ANSWER("the request clashes with what the store holds now"),
      "413": ERROR_ANSWER("the body (or a definition) is over the limits"),
      "415": ERROR_ANSWER("the body is not of a content type the route takes"),
      "422": ERROR_ANSWER("well formed, but the data cannot give an answer (the reason says why)"),
      "503": ERROR_ANSWER("the database cannot be used now (locked, damaged, full disk)"),
    },
  };
}

/** Drops keys set to undefined (a JSON document has none). */
function cleaned(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

/** The OpenAPI 3.1 document of the routes, their inputs the operations' own schemas. */
/** `GET /api/me`: the caller's key (any valid one) and its role's permissions; no operation of the store. */
const ME_OPERATION = {
  operationId: "me",
  summary: "who the key is: its id, name, role and the role's permissions",
  security: [{ apiKey: [] }],
  responses: {
    "200": {
      description: "the caller",
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["id", "name", "role", "permissions"],
            properties: {
              id: { type: "string" },
              name: { type: "string" },
              role: { type: "string", enum: ["admin", "analyst", "marketer", "ingest"] },
              permissions: { type: "array", items: { type: "string" } },
            },
          },
        },
      },
    },
    "401": ERROR_ANSWER("no API key, or not a valid one"),
  },
};

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operationObject(route);
    paths[route.path] = item;
  }
  paths["/api/me"] = { get: ME_OPERATION };
  return {
    openapi: "3.1.0",
    info: {
      title: "Tessera",
      version: "0.1.0",
      description:
        "Privacy-first customer segmentation: every operation of the command line, as JSON over HTTP. Errors are " +
        '`{"error": {"code", "message", "path"}}`.',
    },
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key made by `tessera keys create --role …`: admin, analyst, marketer or ingest.",
        },
      },
    },
  };
}
