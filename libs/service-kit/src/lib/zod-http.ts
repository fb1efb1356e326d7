import { applyDecorators, Body, Query, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod/v4';

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

/** Validates the body with the contract schema and documents it in OpenAPI. Invalid → 400 VALIDATION_FAILED. */
export function ValidBody<S extends z.ZodType>(schema: S): ParameterDecorator {
  return Body(new ZodPipe(schema));
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
