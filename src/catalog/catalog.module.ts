import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { Catalog } from './catalog.js';
import { CatalogController } from './catalog.controller.js';
import { CatalogRepository } from './catalog.repository.js';
import { CatalogSeeder } from './catalog-seeder.js';
import { CatalogService } from './catalog.service.js';
import { HttpCatalog } from './http-catalog.js';
import { PostgresCatalog } from './postgres-catalog.js';

/** The catalog is chosen once, at start-up, and said in the log: PostgreSQL, or the shop's own over HTTP. */
function chooseCatalog(config: AppConfig, prisma: PrismaService, repository: CatalogRepository): Catalog {
  const logger = new Logger('Catalog');
  const { url } = config.catalog;
  if (url === undefined) {
    logger.log({ event: 'catalog.selected', source: 'postgres' }, 'Catalog: PostgreSQL (the catalog_* tables)');
    return new PostgresCatalog(prisma, repository);
  }
  // The URL's origin and path only: a URL may carry credentials.
  const { origin, pathname } = new URL(url);
  logger.log(
    {
      event: 'catalog.selected',
      source: 'http',
      url: `${origin}${pathname}`,
      timeoutMs: config.catalog.timeoutMs,
      cacheMs: config.catalog.cacheMs,
    },
    "Catalog: the shop's own catalog over HTTP (CATALOG_URL)",
  );
  return new HttpCatalog({ ...config.catalog, url });
}

@Module({
  controllers: [CatalogController],
  providers: [
    CatalogRepository,
    { provide: Catalog, useFactory: chooseCatalog, inject: [AppConfig, PrismaService, CatalogRepository] },
    CatalogService,
    CatalogSeeder,
  ],
  exports: [Catalog, CatalogService],
})
export class CatalogModule {}
