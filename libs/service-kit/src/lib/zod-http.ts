import { applyDecorators, createParamDecorator, Query, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod/v4';
import { unsupportedMediaType } from './http-errors';
import { requestHasBody } from './http-input';

class ZodPipe<S extends z.ZodType> implements PipeTransform {
  constructor(private readonly schema: S) {}
  transform(value: unknown): z.infer<S> {
    return this.schema.parse(value);
  }
}

type JsonSchema = Record<string, unknown>;

/** The OpenAPI schema of a zod schema (OpenAPI 3.1 accepts JSON Schema). */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/**
 * The parsed JSON body; a body the JSON parser left alone (another Content-Type, e.g. text/plain or a form) is
 * refused with 415 UNSUPPORTED_MEDIA_TYPE rather than validated as if it were missing.
 */
const JsonBody = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const req = ctx.switchToHttp().getRequest<Request>();
  if (req.body === undefined && requestHasBody(req)) {
    const type = req.headers['content-type'] ?? 'none';
    throw unsupportedMediaType('UNSUPPORTED_MEDIA_TYPE', `this endpoint reads application/json; the body was sent as ${type.slice(0, 100)}`);
  }
  return req.body as unknown;
});

/**
 * Validates the JSON body with the contract schema (document it with ApiZodBody). Invalid → 400 VALIDATION_FAILED;
 * not JSON → 415 UNSUPPORTED_MEDIA_TYPE (or 400 MALFORMED_JSON when it claims to be); over the limit → 413.
 */
export function ValidBody<S extends z.ZodType>(schema: S): ParameterDecorator {
  return JsonBody(new ZodPipe(schema));
}

export function ValidQuery<S extends z.ZodType>(schema: S): ParameterDecorator {
  return Query(new ZodPipe(schema));
}

export function ApiZodBody(schema: z.ZodType, description?: string): MethodDecorator {
  return applyDecorators(ApiBody({ schema: openApiSchema(schema) as never, description }));
}

export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const shape = schema.shape as Record<string, z.ZodType>;
  return applyDecorators(
    ...Object.entries(shape).map(([name, s]) =>
      ApiQuery({ name, required: !s.safeParse(undefined).success, schema: openApiSchema(s) as never }),
    ),
  );
}

export function ApiZodResponse(status: number, schema: z.ZodType, description: string): MethodDecorator {
  return applyDecorators(ApiResponse({ status, description, schema: openApiSchema(schema) as never }));
}

/** The shared error body, documented once. */
export const errorBodySchema = z.object({
  statusCode: z.number().int(),
  reason: z.string().describe('machine-readable reason, e.g. VALIDATION_FAILED'),
  message: z.unknown(),
  details: z.unknown().optional(),
});

export function ApiErrors(...statuses: number[]): MethodDecorator {
  return applyDecorators(...statuses.map((s) => ApiResponse({ status: s, schema: openApiSchema(errorBodySchema) as never })));
}
