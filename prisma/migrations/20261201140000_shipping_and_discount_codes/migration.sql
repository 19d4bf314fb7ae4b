-- Checkout essentials (issue 13): shipping methods per market and discount codes, both priced by the server.
-- Amounts are integers in minor units, percentages basis points.

-- Shipping methods, managed by ops. Countries are ["SE", ...]; prices and free-over thresholds are per currency ([{currency, amount}]).
CREATE TABLE "shipping_method" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "countries" JSONB NOT NULL,
    "prices" JSONB NOT NULL,
    "free_over" JSONB NOT NULL DEFAULT '[]',
    "tax_class" VARCHAR(64) NOT NULL,
    "delivery_estimate" VARCHAR(255),
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipping_method_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shipping_method_countries_check" CHECK (jsonb_typeof("countries") = 'array'),
    CONSTRAINT "shipping_method_prices_check" CHECK (jsonb_typeof("prices") = 'array'),
    CONSTRAINT "shipping_method_free_over_check" CHECK (jsonb_typeof("free_over") = 'array')
);

-- Discount codes, managed by ops; `code_key` is the code in lower case (codes match case-insensitively).
-- `redeemed_count` counts the redemptions that hold a use; never above max_redemptions (the race for the last use
-- is decided by the row lock of the UPDATE that takes it, and this CHECK backs it).
CREATE TABLE "discount_code" (
    "code_key" VARCHAR(64) NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "percent" INTEGER,
    "amounts" JSONB NOT NULL DEFAULT '[]',
    "min_order" JSONB NOT NULL DEFAULT '[]',
    "applies_to" VARCHAR(32) NOT NULL,
    "valid_from" TIMESTAMPTZ(3),
    "valid_until" TIMESTAMPTZ(3),
    "max_redemptions" INTEGER,
    "redeemed_count" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "discount_code_pkey" PRIMARY KEY ("code_key"),
    CONSTRAINT "discount_code_key_check" CHECK ("code_key" = lower("code")),
    CONSTRAINT "discount_code_kind_check" CHECK (
        ("kind" = 'percent' AND "percent" BETWEEN 1 AND 10000) OR ("kind" = 'fixed' AND "percent" IS NULL)),
    CONSTRAINT "discount_code_applies_to_check" CHECK ("applies_to" IN ('items', 'items_and_shipping')),
    CONSTRAINT "discount_code_redeemed_count_check" CHECK (
        "redeemed_count" >= 0 AND ("max_redemptions" IS NULL OR "redeemed_count" <= "max_redemptions")),
    CONSTRAINT "discount_code_max_redemptions_check" CHECK ("max_redemptions" >= 0),
    CONSTRAINT "discount_code_amounts_check" CHECK (jsonb_typeof("amounts") = 'array'),
    CONSTRAINT "discount_code_min_order_check" CHECK (jsonb_typeof("min_order") = 'array')
);

-- One use of a code by one order: a money row. Never deleted; `redeemed` -> `released` (the placement failed)
-- and nothing else, enforced below. At most one redemption per order.
CREATE TABLE "discount_redemption" (
    "id" UUID NOT NULL,
    "code_key" VARCHAR(64) NOT NULL,
    "order_id" UUID NOT NULL,
    "cart_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'redeemed',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "released_at" TIMESTAMPTZ(3),

    CONSTRAINT "discount_redemption_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "discount_redemption_status_check" CHECK ("status" IN ('redeemed', 'released')),
    CONSTRAINT "discount_redemption_amount_check" CHECK ("amount" >= 0)
);
CREATE UNIQUE INDEX "discount_redemption_order_id_key" ON "discount_redemption"("order_id");
CREATE INDEX "discount_redemption_code_key_created_at_idx" ON "discount_redemption"("code_key", "created_at");
ALTER TABLE "discount_redemption" ADD CONSTRAINT "discount_redemption_code_key_fkey" FOREIGN KEY ("code_key") REFERENCES "discount_code"("code_key") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "discount_redemption" ADD CONSTRAINT "discount_redemption_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE FUNCTION discount_redemption_moves_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'discount redemption % stands for money and is never deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status = 'released' THEN
        RAISE EXCEPTION 'discount redemption %: status cannot move back from released', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.amount IS DISTINCT FROM OLD.amount OR NEW.order_id IS DISTINCT FROM OLD.order_id
       OR NEW.code_key IS DISTINCT FROM OLD.code_key THEN
        RAISE EXCEPTION 'discount redemption %: only its status changes', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER "discount_redemption_moves_forward_only" BEFORE UPDATE OR DELETE ON "discount_redemption"
    FOR EACH ROW EXECUTE FUNCTION discount_redemption_moves_forward_only();

-- The cart's choices and the lines they were last priced at (what the shopper saw; the checkout compares).
ALTER TABLE "cart"
    ADD COLUMN "shipping_method_id" VARCHAR(64),
    ADD COLUMN "shipping_line" JSONB,
    ADD COLUMN "discount_code" VARCHAR(64),
    ADD COLUMN "discount_lines" JSONB NOT NULL DEFAULT '[]';
