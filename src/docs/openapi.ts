import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_SCHEMAS } from './api-schemas.js';

/** The OpenAPI document of the REST API: served at /docs-json, exported by the build for the demo page's client. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Klarna checkout BFF')
      .setDescription('Cart, Klarna Payments session, orders and Klarna webhooks for the storefront')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'OPS_API_KEY' }, 'ops')
      .build(),
  );
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...API_SCHEMAS } };
  return document;
}
