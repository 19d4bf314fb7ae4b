-- The merchant's catalog: products, their prices per currency and tax rates per country and tax class.
-- Amounts are integers in minor units (tax included, except in the US: net, Klarna's sales-tax model);
-- rates are basis points. The CHECKs repeat the import's validation so no other writer can break Klarna's limits.

-- CreateEnum
CREATE TYPE "ProductType" AS ENUM ('physical', 'digital');

-- CreateTable
CREATE TABLE "catalog_product" (
    "id" UUID NOT NULL,
    "reference" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "names" JSONB NOT NULL DEFAULT '{}',
    "type" "ProductType" NOT NULL,
    "tax_class" VARCHAR(64) NOT NULL,
    "image_url" VARCHAR(1024),
    "product_url" VARCHAR(1024),
    "active" BOOLEAN NOT NULL DEFAULT true,
    "max_quantity" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_product_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "catalog_product_max_quantity_check" CHECK ("max_quantity" BETWEEN 1 AND 1000),
    CONSTRAINT "catalog_product_names_check" CHECK (jsonb_typeof("names") = 'object')
);

-- CreateTable
CREATE TABLE "catalog_price" (
    "product_id" UUID NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "unit_price" INTEGER NOT NULL,

    CONSTRAINT "catalog_price_pkey" PRIMARY KEY ("product_id", "currency"),
    CONSTRAINT "catalog_price_unit_price_check" CHECK ("unit_price" BETWEEN 0 AND 100000000)
);

-- CreateTable
CREATE TABLE "catalog_tax_rate" (
    "country" VARCHAR(2) NOT NULL,
    "tax_class" VARCHAR(64) NOT NULL,
    "rate" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_tax_rate_pkey" PRIMARY KEY ("country", "tax_class"),
    CONSTRAINT "catalog_tax_rate_rate_check" CHECK ("rate" BETWEEN 0 AND 10000)
);

-- CreateIndex
CREATE UNIQUE INDEX "catalog_product_reference_key" ON "catalog_product"("reference");

-- AddForeignKey
ALTER TABLE "catalog_price" ADD CONSTRAINT "catalog_price_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "catalog_product"("id") ON DELETE CASCADE ON UPDATE CASCADE;
