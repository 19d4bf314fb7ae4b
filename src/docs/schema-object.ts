import type { OpenAPIObject } from '@nestjs/swagger';

/** An OpenAPI schema object, as @nestjs/swagger types it (its interfaces file is not exported on its own). */
export type SchemaObject = Exclude<
  NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string],
  { $ref: string }
>;
