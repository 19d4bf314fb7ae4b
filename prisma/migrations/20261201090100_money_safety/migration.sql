-- Money safety: orders and their operations are never deleted and only move forward, enforced here and not only
-- in code; every Klarna session of a cart is kept; Klarna orders we cannot match are kept for ops.

-- Orders stand for money: neither a cart's nor an authorization's deletion may take one with it.
ALTER TABLE "order" DROP CONSTRAINT "order_cart_id_fkey";
ALTER TABLE "order" ADD CONSTRAINT "order_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "cart"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "order" DROP CONSTRAINT "order_authorization_id_fkey";
ALTER TABLE "order" ADD CONSTRAINT "order_authorization_id_fkey" FOREIGN KEY ("authorization_id") REFERENCES "klarna_authorization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "order_operation" DROP CONSTRAINT "order_operation_order_id_fkey";
ALTER TABLE "order_operation" ADD CONSTRAINT "order_operation_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A cart keeps every refused (failed) placement, but has at most one order that is not failed.
DROP INDEX "order_cart_id_key";
CREATE UNIQUE INDEX "order_cart_id_live_key" ON "order"("cart_id") WHERE "status" <> 'failed';
CREATE INDEX "order_cart_id_idx" ON "order"("cart_id");

-- Attempts at create order that failed; whether one of them may have reached Klarna (then a later 4xx proves
-- nothing alone); Klarna's refusal of a failed placement; why ops must look at one.
ALTER TABLE "order"
    ADD COLUMN "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "placement_outcome_unknown" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "failure_status" INTEGER,
    ADD COLUMN "failure_code" VARCHAR(64),
    ADD COLUMN "attention_reason" VARCHAR(255);

CREATE FUNCTION order_status_rank(status "OrderStatus") RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status
        WHEN 'placing' THEN 0 WHEN 'needs_attention' THEN 1 WHEN 'placed' THEN 2 WHEN 'confirmed' THEN 3
        WHEN 'cancelled' THEN 4 WHEN 'failed' THEN 4 END
$$;

-- Klarna's fraud decisions only move forward: PENDING -> ACCEPTED -> REJECTED (STOPPED is a later rejection).
CREATE FUNCTION fraud_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'PENDING' THEN 1 WHEN 'ACCEPTED' THEN 2 WHEN 'REJECTED' THEN 3 WHEN 'STOPPED' THEN 3 ELSE 0 END
$$;

CREATE FUNCTION order_moves_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'order % stands for money and is never deleted', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status IN ('failed', 'cancelled') OR order_status_rank(NEW.status) < order_status_rank(OLD.status)) THEN
        RAISE EXCEPTION 'order %: status cannot move back from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF fraud_status_rank(NEW.fraud_status) < fraud_status_rank(OLD.fraud_status) THEN
        RAISE EXCEPTION 'order %: fraud status cannot move back from % to %', OLD.id, OLD.fraud_status, NEW.fraud_status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.captured_amount < OLD.captured_amount THEN
        RAISE EXCEPTION 'order %: captured amount cannot shrink', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.klarna_order_id IS NOT NULL AND NEW.klarna_order_id IS DISTINCT FROM OLD.klarna_order_id THEN
        RAISE EXCEPTION 'order %: Klarna order id cannot change', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER "order_moves_forward_only" BEFORE UPDATE OR DELETE ON "order"
    FOR EACH ROW EXECUTE FUNCTION order_moves_forward_only();

-- Order Management operations: the request's fingerprint (a reused Idempotency-Key with another body is refused)
-- and Klarna's error code; kept forever, status forward only (pending -> unknown -> succeeded | refused).
ALTER TABLE "order_operation"
    ADD COLUMN "request_hash" VARCHAR(64),
    ADD COLUMN "error_code" VARCHAR(64);

CREATE FUNCTION operation_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'pending' THEN 0 WHEN 'unknown' THEN 1 WHEN 'succeeded' THEN 2 WHEN 'refused' THEN 2 END
$$;

CREATE FUNCTION operation_moves_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'order operation % stands for money and is never deleted', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND (OLD.status IN ('succeeded', 'refused') OR operation_status_rank(NEW.status) < operation_status_rank(OLD.status)) THEN
        RAISE EXCEPTION 'order operation %: status cannot move back from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER "order_operation_moves_forward_only" BEFORE UPDATE OR DELETE ON "order_operation"
    FOR EACH ROW EXECUTE FUNCTION operation_moves_forward_only();

-- Every Klarna session of a cart is its own row; one is live. An authorization stays tied to the session it came
-- from. A push whose outcome is unknown (timeout, 5xx) is remembered until Klarna is known to hold the cart.
DROP INDEX "klarna_session_cart_id_key";
ALTER TABLE "klarna_session"
    ADD COLUMN "live" BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN "push_outcome_unknown" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "intent" VARCHAR(32) NOT NULL DEFAULT 'buy';
CREATE UNIQUE INDEX "klarna_session_cart_id_live_key" ON "klarna_session"("cart_id") WHERE "live";
CREATE INDEX "klarna_session_cart_id_idx" ON "klarna_session"("cart_id");

-- When Klarna confirmed that an authorization that will never become an order was released.
ALTER TABLE "klarna_authorization" ADD COLUMN "released_at" TIMESTAMPTZ(3);
CREATE INDEX "klarna_authorization_unreleased_idx" ON "klarna_authorization"("created_at")
    WHERE "released_at" IS NULL AND "status" IN ('stale', 'cancelled', 'expired');

-- Klarna orders we could not match to an order of ours (a push naming no order of ours, a create-order answer
-- whose follow-up write failed): logged, counted and kept for the ops list until resolved.
CREATE TABLE "unmatched_klarna_order" (
    "id" UUID NOT NULL,
    "klarna_order_id" VARCHAR(255) NOT NULL,
    "cart_id" UUID,
    "merchant_reference1" VARCHAR(255),
    "reason" VARCHAR(64) NOT NULL,
    "correlation_id" VARCHAR(255),
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "unmatched_klarna_order_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "unmatched_klarna_order_klarna_order_id_key" ON "unmatched_klarna_order"("klarna_order_id");
