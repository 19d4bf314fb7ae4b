import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from './docs/openapi.js';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { CartController, cartDirectRoutes } from './cart/cart.controller.js';
import { CATALOG_IMPORT_ROUTE, CSV_CONTENT_TYPE } from './catalog/catalog.controller.js';
import { serveDirectly } from './common/direct-routes.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { createValidationPipe } from './common/validation.js';
import { guardRequestInput } from './common/input-guards.js';
import { registerRateLimits } from './common/rate-limits.js';
import { withSharedWebhookSecret } from './database/shared-settings.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { restrictOpsRoutes } from './ops/ops-listener.js';
import { requestIdGenerator } from './common/logging.js';

/** Builds the configured application (used by main.ts, the e2e tests and the benchmark alike). */
export async function createApp(appConfig: AppConfig): Promise<NestFastifyApplication> {
  const config = await withSharedWebhookSecret(appConfig);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Keep-alive connections from load balancers outlive Node's 5 s default.
    keepAliveTimeout: 72_000,
    // LifecycleService answers during a shutdown (our error body, after readiness went 503 first).
    return503OnClosing: false,
    // Fastify takes a hop count too; Nest's option type omits it.
    trustProxy: config.trustProxy as boolean | string,
    // pino-http keeps the id Fastify gave the request (middie copies it over), so Fastify makes it.
    genReqId: requestIdGenerator(config.logLevel),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const validationPipe = createValidationPipe();
  app.useGlobalPipes(validationPipe);
  app.useGlobalFilters(new HttpErrorFilter());
  const fastify = app.getHttpAdapter().getInstance();
  // onRequest hooks run in this order: shutdown refusal, in-flight count and timing; rate limits. The ops-only routes
  // carry their own.
  app.get(LifecycleService).registerHooks(fastify);
  app.get(LifecycleService).trackServer(app.getHttpServer());
  restrictOpsRoutes(fastify, config);
  await registerRateLimits(app, config);
  // CSV arrives as text; only the catalog import accepts it, every other route still refuses it (400).
  fastify.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  guardRequestInput(fastify, { [CATALOG_IMPORT_ROUTE]: CSV_CONTENT_TYPE });
  serveDirectly(fastify, cartDirectRoutes(app.get(CartController), validationPipe));

  // Built on the first request for it: the document is a few megabytes the service need not hold until then.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}
