-- Order Management complete (issue 12): captures, refunds, the order's money fields and Klarna's own order status,
-- the operation's result, and the drift the reconciliation finds. Money rows are never deleted; amounts only grow.

-- Klarna's Order Management status, kept apart from our lifecycle `status` (placing .. confirmed, cancelled, failed):
-- authorized -> part_captured -> captured | closed; authorized -> cancelled | expired. Forward only (trigger below).
ALTER TABLE "order"
    ADD COLUMN "klarna_status" VARCHAR(16),
    ADD COLUMN "refunded_amount" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "remaining_authorized_amount" INTEGER,
    ADD COLUMN "expires_at" TIMESTAMPTZ(3),
    ADD COLUMN "auto_capture" BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN "reconciled_at" TIMESTAMPTZ(3);
-- Klarna: "Over refund is not allowed" (refunds never exceed what was captured).
ALTER TABLE "order" ADD CONSTRAINT "order_refund_within_capture" CHECK ("refunded_amount" <= "captured_amount");
CREATE INDEX "order_updated_at_idx" ON "order"("updated_at");
CREATE INDEX "order_created_at_id_idx" ON "order"("created_at", "id");

CREATE FUNCTION klarna_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'authorized' THEN 1 WHEN 'part_captured' THEN 2 WHEN 'captured' THEN 3
        WHEN 'closed' THEN 3 WHEN 'cancelled' THEN 3 WHEN 'expired' THEN 3 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION order_moves_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- Terminal Klarna states (captured, closed, cancelled, expired) are final; the rest only move up.
    IF NEW.klarna_status IS DISTINCT FROM OLD.klarna_status
       AND (klarna_status_rank(OLD.klarna_status) = 3 OR klarna_status_rank(NEW.klarna_status) < klarna_status_rank(OLD.klarna_status)) THEN
        RAISE EXCEPTION 'order %: Klarna status cannot move from % to %', OLD.id, OLD.klarna_status, NEW.klarna_status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.captured_amount < OLD.captured_amount THEN
        RAISE EXCEPTION 'order %: captured amount cannot shrink', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.refunded_amount < OLD.refunded_amount THEN
        RAISE EXCEPTION 'order %: refunded amount cannot shrink', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.klarna_order_id IS NOT NULL AND NEW.klarna_order_id IS DISTINCT FROM OLD.klarna_order_id THEN
        RAISE EXCEPTION 'order %: Klarna order id cannot change', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- What an operation came to at Klarna (a capture's or refund's id, the new expiry), and how often it was tried.
ALTER TABLE "order_operation"
    ADD COLUMN "result" JSONB,
    ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "order_operation_status_idx" ON "order_operation"("status") WHERE "status" IN ('pending', 'unknown');

-- Captures and refunds as Klarna made them. operation_id is null for one Klarna has and no operation of ours asked
-- for (auto capture, the Merchant Portal; found by the reconciliation). Klarna's id is unique: seen twice, kept once.
CREATE TABLE "order_capture" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "operation_id" UUID,
    "klarna_capture_id" VARCHAR(255) NOT NULL,
    "captured_amount" INTEGER NOT NULL,
    "description" VARCHAR(255),
    "reference" VARCHAR(255),
    "order_lines" JSONB NOT NULL DEFAULT '[]',
    "shipping_info" JSONB NOT NULL DEFAULT '[]',
    "captured_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_capture_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_capture_positive" CHECK ("captured_amount" > 0)
);
CREATE UNIQUE INDEX "order_capture_klarna_capture_id_key" ON "order_capture"("klarna_capture_id");
CREATE UNIQUE INDEX "order_capture_operation_id_key" ON "order_capture"("operation_id");
CREATE INDEX "order_capture_order_id_idx" ON "order_capture"("order_id");
ALTER TABLE "order_capture" ADD CONSTRAINT "order_capture_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "order_refund" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "operation_id" UUID,
    "klarna_refund_id" VARCHAR(255) NOT NULL,
    "refunded_amount" INTEGER NOT NULL,
    "description" VARCHAR(255),
    "reference" VARCHAR(255),
    "order_lines" JSONB NOT NULL DEFAULT '[]',
    "refunded_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_refund_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_refund_positive" CHECK ("refunded_amount" > 0)
);
CREATE UNIQUE INDEX "order_refund_klarna_refund_id_key" ON "order_refund"("klarna_refund_id");
CREATE UNIQUE INDEX "order_refund_operation_id_key" ON "order_refund"("operation_id");
CREATE INDEX "order_refund_order_id_idx" ON "order_refund"("order_id");
ALTER TABLE "order_refund" ADD CONSTRAINT "order_refund_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A difference between our order and Order Management found by the reconciliation, and whether it was applied
-- (a difference backwards, e.g. Klarna showing less captured than we recorded, is kept for ops but never applied).
CREATE TABLE "order_drift" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "field" VARCHAR(64) NOT NULL,
    "ours" VARCHAR(255),
    "klarna" VARCHAR(255),
    "applied" BOOLEAN NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_drift_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "order_drift_detected_at_idx" ON "order_drift"("detected_at");
CREATE INDEX "order_drift_order_id_idx" ON "order_drift"("order_id");
ALTER TABLE "order_drift" ADD CONSTRAINT "order_drift_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE FUNCTION money_row_is_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% % stands for money and is never deleted', TG_TABLE_NAME, OLD.id USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER "order_capture_never_deleted" BEFORE DELETE ON "order_capture"
    FOR EACH ROW EXECUTE FUNCTION money_row_is_never_deleted();
CREATE TRIGGER "order_refund_never_deleted" BEFORE DELETE ON "order_refund"
    FOR EACH ROW EXECUTE FUNCTION money_row_is_never_deleted();
CREATE TRIGGER "order_drift_never_deleted" BEFORE DELETE ON "order_drift"
    FOR EACH ROW EXECUTE FUNCTION money_row_is_never_deleted();
