-- CreateTable
CREATE TABLE "order_operation" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "request_key" VARCHAR(255) NOT NULL,
    "request" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "correlation_id" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_operation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer_token" (
    "id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "token_id" VARCHAR(255) NOT NULL,
    "intended_use" VARCHAR(32) NOT NULL,
    "description" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_token_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "order_operation_order_id_kind_request_key_key" ON "order_operation"("order_id", "kind", "request_key");

-- CreateIndex
CREATE UNIQUE INDEX "customer_token_token_id_key" ON "customer_token"("token_id");

-- CreateIndex
CREATE INDEX "customer_token_cart_id_idx" ON "customer_token"("cart_id");

-- AddForeignKey
ALTER TABLE "order_operation" ADD CONSTRAINT "order_operation_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer_token" ADD CONSTRAINT "customer_token_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE CASCADE ON UPDATE CASCADE;
