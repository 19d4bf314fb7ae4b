/**
 * Writes the OpenAPI document to a file without a database or Klarna: Nest builds the module graph (nothing
 * connects before init), Swagger reads the controllers' metadata. The build runs it for the demo page's typed client.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { buildOpenApiDocument } from './openapi.js';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: node dist/docs/openapi-export.cli.js FILE\n');
  process.exit(2);
}
const config = loadConfig({
  NODE_ENV: 'development',
  DATABASE_URL: 'postgresql://openapi-export@127.0.0.1:9/none',
  KLARNA_USERNAME: 'openapi-export',
  KLARNA_PASSWORD: 'openapi-export',
  WEBHOOK_SECRET: 'openapi-export-not-a-secret-at-all',
  LOG_LEVEL: 'silent',
});
const app = await NestFactory.create(AppModule.register(config), new FastifyAdapter(), { logger: false });
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
await app.close();
