import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { klarnaSdkUrl } from './klarna-sdk-url.js';
import { DEMO_MARKETS, type StorefrontConfig } from './storefront.types.js';
import { STOREFRONT_CONFIG_SCHEMA } from './storefront.schema.js';

/** The page's files as `npm run build` leaves them (dist/web), from src/ (tests) and dist/ alike. */
const WEB_DIR = fileURLToPath(new URL('../../dist/web/storefront/web/', import.meta.url));
const ASSET = /^[a-z][a-z0-9-]*\.(js|css)$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/**
 * The demo storefront (DEMO_STOREFRONT, off in production by default): one static page and its compiled module,
 * which call this service's public REST API exactly as a shop's own front end would.
 */
@ApiTags('storefront')
@Controller()
export class StorefrontController {
  constructor(private readonly config: AppConfig) {}

  @Get()
  @ApiExcludeEndpoint()
  async page(@Res() reply: FastifyReply): Promise<void> {
    await this.sendFile(reply, 'index.html', 'text/html; charset=utf-8');
  }

  @Get('storefront/config')
  @ApiOperation({ summary: 'Demo storefront: where to load the Klarna SDK from, and the markets to offer' })
  @ApiOkResponse({ schema: STOREFRONT_CONFIG_SCHEMA })
  storefrontConfig(): StorefrontConfig {
    return {
      klarnaSdkUrl: klarnaSdkUrl(this.config.klarna.apiUrl, this.config.demoStorefront.klarnaSdkUrl),
      markets: DEMO_MARKETS,
    };
  }

  @Get('storefront/:file')
  @ApiExcludeEndpoint()
  async asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    const match = ASSET.exec(file);
    if (!match) {
      await reply.code(404).type('text/plain; charset=utf-8').send('No such file\n');
      return;
    }
    await this.sendFile(reply, file, TYPES[match[1]]);
  }

  private async sendFile(reply: FastifyReply, file: string, type: string): Promise<void> {
    let body: string;
    try {
      body = await readFile(`${WEB_DIR}${file}`, 'utf8');
    } catch {
      await reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send(
          file === 'index.html'
            ? 'The demo storefront is not built: run `npm run build` (or `npm start`, which builds first).\n'
            : 'No such file\n',
        );
      return;
    }
    await reply.type(type).header('cache-control', 'no-cache').send(body);
  }
}
