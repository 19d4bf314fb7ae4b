import { Body, Controller, Get, Headers, HttpCode, Patch, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAnswers } from '../docs/api-schemas.js';
import type { FastifyReply } from 'fastify';
import { OpsApiKeyGuard } from '../common/ops-api-key.guard.js';
import { PatternParam } from '../common/validation.js';
import type { ImportResult, ProductPage, StorefrontProduct, TaxRateInput } from './catalog.types.js';
import { CatalogService, type ProductView } from './catalog.service.js';
import { ListProductsQueryDto, MarketQueryDto } from './dto/market-query.dto.js';
import {
  PatchProductDto,
  PutProductDto,
  REFERENCE_PATTERN,
  REFERENCE_RULE,
  TAX_CLASS_PATTERN,
  TAX_CLASS_RULE,
  TaxRateDto,
} from './dto/product.dto.js';

/** The import also takes CSV: the one route excepted from "JSON bodies only" (see app.factory.ts). */
export const CATALOG_IMPORT_ROUTE = 'POST /catalog/import';
export const CSV_CONTENT_TYPE = /^text\/csv\b/i;

const ReferenceParam = () => PatternParam('reference', REFERENCE_PATTERN, REFERENCE_RULE, 255);

@ApiTags('catalog')
@Controller('catalog')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('products')
  @ApiOperation({ summary: 'What a market sells, by reference, with cursor pagination (public)' })
  @ApiAnswers({ 200: 'ProductPage' }, [400, 501])
  listProducts(@Query() query: ListProductsQueryDto): Promise<ProductPage> {
    const { cursor, limit, ...market } = query;
    return this.catalog.listProducts(market, cursor, limit);
  }

  @Get('products/:reference')
  @ApiOperation({ summary: 'One product priced for a market (public)' })
  @ApiAnswers({ 200: 'Product' }, [400, 404, 422])
  getProduct(@ReferenceParam() reference: string, @Query() market: MarketQueryDto): Promise<StorefrontProduct> {
    return this.catalog.getProduct(reference, { ...market });
  }

  @Put('products/:reference')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: 'Create (201) or replace (200) a product with its prices (ops)' })
  async putProduct(
    @ReferenceParam() reference: string,
    @Body() dto: PutProductDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const { created, product } = await this.catalog.putProduct(reference, dto);
    void reply.status(created ? 201 : 200);
    return product;
  }

  @Patch('products/:reference')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: 'Switch a product on or off; set or remove prices per currency (ops)' })
  patchProduct(@ReferenceParam() reference: string, @Body() dto: PatchProductDto): Promise<ProductView> {
    return this.catalog.patchProduct(reference, dto);
  }

  @Put('tax-rates/:country/:taxClass')
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiOperation({ summary: 'Set the tax rate of a country and tax class: 201 new, 200 changed (ops)' })
  async putTaxRate(
    @PatternParam('country', /^[A-Z]{2}$/, 'must be a country Klarna sells in (ISO 3166 alpha-2)', 2) country: string,
    @PatternParam('taxClass', TAX_CLASS_PATTERN, TAX_CLASS_RULE, 64) taxClass: string,
    @Body() dto: TaxRateDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaxRateInput> {
    const { created, taxRate } = await this.catalog.putTaxRate({ country, taxClass, rate: dto.rate });
    void reply.status(created ? 201 : 200);
    return taxRate;
  }

  @Post('import')
  @HttpCode(200)
  @UseGuards(OpsApiKeyGuard)
  @ApiBearerAuth('ops')
  @ApiConsumes('application/json', 'text/csv')
  @ApiBody({
    description: 'A JSON array of products (or { products, taxRates }), or CSV with one row per product and currency',
    schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }, { type: 'string' }] },
  })
  @ApiOperation({ summary: 'Import products, all or nothing: { created, updated, unchanged } (ops)' })
  importCatalog(@Body() body: unknown, @Headers('content-type') contentType = ''): Promise<ImportResult> {
    return this.catalog.importCatalog(body, CSV_CONTENT_TYPE.test(contentType) ? 'csv' : 'json');
  }
}
