-- CreateEnum
CREATE TYPE "CartStatus" AS ENUM ('open', 'checkout', 'ordered', 'abandoned');

-- CreateEnum
CREATE TYPE "KlarnaSessionStatus" AS ENUM ('active', 'completed', 'expired');

-- CreateEnum
CREATE TYPE "AuthorizationStatus" AS ENUM ('active', 'stale', 'consumed', 'cancelled', 'expired');

-- CreateEnum
CREATE TYPE "AuthorizationSource" AS ENUM ('storefront', 'callback');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('placing', 'placed', 'confirmed', 'cancelled');

-- CreateTable
CREATE TABLE "cart" (
    "id" UUID NOT NULL,
    "status" "CartStatus" NOT NULL DEFAULT 'open',
    "purchase_country" VARCHAR(2) NOT NULL,
    "purchase_currency" VARCHAR(3) NOT NULL,
    "locale" VARCHAR(16) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "customer" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cart_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cart_item" (
    "id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "reference" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "type" VARCHAR(32) NOT NULL,
    "quantity" INTEGER NOT NULL,
    "quantity_unit" VARCHAR(8),
    "unit_price" INTEGER NOT NULL,
    "tax_rate" INTEGER NOT NULL,
    "total_discount_amount" INTEGER NOT NULL DEFAULT 0,
    "image_url" VARCHAR(1024),
    "product_url" VARCHAR(1024),
    "position" INTEGER NOT NULL,

    CONSTRAINT "cart_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "klarna_session" (
    "id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "session_id" VARCHAR(255) NOT NULL,
    "client_token" TEXT NOT NULL,
    "payment_method_categories" JSONB NOT NULL,
    "status" "KlarnaSessionStatus" NOT NULL DEFAULT 'active',
    "purchase_country" VARCHAR(2) NOT NULL,
    "purchase_currency" VARCHAR(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "synced_version" INTEGER NOT NULL,
    "synced_payload_hash" VARCHAR(64) NOT NULL,
    "last_sync_error" JSONB,
    "last_correlation_id" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "klarna_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "klarna_authorization" (
    "id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "klarna_session_id" UUID NOT NULL,
    "authorization_token" VARCHAR(255) NOT NULL,
    "cart_version" INTEGER NOT NULL,
    "status" "AuthorizationStatus" NOT NULL DEFAULT 'active',
    "source" "AuthorizationSource" NOT NULL,
    "held_for_review" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "klarna_authorization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order" (
    "id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "klarna_order_id" VARCHAR(255),
    "authorization_id" UUID,
    "status" "OrderStatus" NOT NULL DEFAULT 'placing',
    "fraud_status" VARCHAR(32),
    "order_amount" INTEGER NOT NULL,
    "order_tax_amount" INTEGER NOT NULL,
    "captured_amount" INTEGER NOT NULL DEFAULT 0,
    "purchase_country" VARCHAR(2) NOT NULL,
    "purchase_currency" VARCHAR(3) NOT NULL,
    "order_lines" JSONB NOT NULL,
    "redirect_url" VARCHAR(2000),
    "merchant_reference1" VARCHAR(255) NOT NULL,
    "merchant_reference2" VARCHAR(255),
    "last_correlation_id" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_event" (
    "id" UUID NOT NULL,
    "kind" VARCHAR(64) NOT NULL,
    "dedupe_key" VARCHAR(512) NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "error" TEXT,

    CONSTRAINT "webhook_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "cart_item_cart_id_position_idx" ON "cart_item"("cart_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "klarna_session_cart_id_key" ON "klarna_session"("cart_id");

-- CreateIndex
CREATE UNIQUE INDEX "klarna_session_session_id_key" ON "klarna_session"("session_id");

-- CreateIndex
CREATE UNIQUE INDEX "klarna_authorization_authorization_token_key" ON "klarna_authorization"("authorization_token");

-- CreateIndex
CREATE INDEX "klarna_authorization_cart_id_status_idx" ON "klarna_authorization"("cart_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "order_cart_id_key" ON "order"("cart_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_klarna_order_id_key" ON "order"("klarna_order_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_authorization_id_key" ON "order"("authorization_id");

-- CreateIndex
CREATE INDEX "order_status_created_at_idx" ON "order"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_event_dedupe_key_key" ON "webhook_event"("dedupe_key");

-- AddForeignKey
ALTER TABLE "cart_item" ADD CONSTRAINT "cart_item_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "klarna_session" ADD CONSTRAINT "klarna_session_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "klarna_authorization" ADD CONSTRAINT "klarna_authorization_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "klarna_authorization" ADD CONSTRAINT "klarna_authorization_klarna_session_id_fkey" FOREIGN KEY ("klarna_session_id") REFERENCES "klarna_session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order" ADD CONSTRAINT "order_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order" ADD CONSTRAINT "order_authorization_id_fkey" FOREIGN KEY ("authorization_id") REFERENCES "klarna_authorization"("id") ON DELETE SET NULL ON UPDATE CASCADE;
