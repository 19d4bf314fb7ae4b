-- Order events to the merchant's systems (issue 19): a transactional outbox. Every change of an order's status or
-- money fields writes its event row from a trigger on "order", so the event exists if and only if the change
-- committed, whichever code path (request, push, job, reconciliation, ops) made it. Rows are kept; delivery moves
-- them pending -> delivered | dead, and only a replay moves one back to pending.
CREATE TABLE "order_event" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    -- Delivery order: an order's events go out by seq, each after the one before it was delivered.
    "seq" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    -- The order as the change left it (no personal data: that is added at delivery when configured).
    "state" JSONB NOT NULL,
    -- What it was before, for the amounts the event names (captured by this change, ...).
    "previous" JSONB NOT NULL DEFAULT '{}',
    -- Events that are reported rather than changed (order.expiring): one per order and key.
    "dedupe_key" VARCHAR(255),
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Retries end MERCHANT_WEBHOOK_RETRY_HOURS after this: the event's creation, or its last replay.
    "retry_from" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- One delivery at a time: the claim's token and how long it holds (a crashed worker's claim runs out).
    "claim_token" UUID,
    "claimed_until" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status" INTEGER,
    "last_error" VARCHAR(255),
    "last_response" VARCHAR(500),
    "delivered_at" TIMESTAMPTZ(3),
    "dead_at" TIMESTAMPTZ(3),
    "replays" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_event_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "order_event_status" CHECK ("status" IN ('pending', 'delivered', 'dead')),
    CONSTRAINT "order_event_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "order"("id")
        ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "order_event_seq_key" ON "order_event"("seq");
CREATE UNIQUE INDEX "order_event_order_id_type_dedupe_key_key" ON "order_event"("order_id", "type", "dedupe_key");
CREATE INDEX "order_event_order_id_seq_idx" ON "order_event"("order_id", "seq");
CREATE INDEX "order_event_status_next_attempt_at_idx" ON "order_event"("status", "next_attempt_at");

-- pending -> delivered | dead; delivered | dead -> pending only as a replay (replays grows). Never deleted.
CREATE FUNCTION order_event_moves_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'order event % is kept', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT (OLD.status = 'pending' AND NEW.status IN ('delivered', 'dead'))
       AND NOT (NEW.status = 'pending' AND NEW.replays > OLD.replays) THEN
        RAISE EXCEPTION 'order event %: status cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq OR NEW.order_id <> OLD.order_id OR NEW.type <> OLD.type
       OR NEW.state <> OLD.state OR NEW.attempts < OLD.attempts THEN
        RAISE EXCEPTION 'order event %: what happened cannot change', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER "order_event_moves_forward_only" BEFORE UPDATE OR DELETE ON "order_event"
    FOR EACH ROW EXECUTE FUNCTION order_event_moves_forward_only();

-- The order as an event carries it; amounts in minor units.
CREATE FUNCTION order_event_state(o "order") RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'orderId', o.id, 'cartId', o.cart_id, 'klarnaOrderId', o.klarna_order_id, 'status', o.status,
        'fraudStatus', o.fraud_status, 'klarnaStatus', o.klarna_status,
        'merchantReference1', o.merchant_reference1, 'merchantReference2', o.merchant_reference2,
        'purchaseCountry', o.purchase_country, 'currency', o.purchase_currency,
        'orderAmount', o.order_amount, 'orderTaxAmount', o.order_tax_amount, 'capturedAmount', o.captured_amount,
        'refundedAmount', o.refunded_amount, 'remainingAuthorizedAmount', o.remaining_authorized_amount,
        'expiresAt', o.expires_at, 'attentionReason', o.attention_reason, 'orderLines', o.order_lines)
$$;

-- The events of one change, in the order they happened: placed, then confirmed or cancelled, then amounts.
CREATE FUNCTION order_emits_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state jsonb := order_event_state(NEW);
    previous jsonb := jsonb_build_object('status', OLD.status, 'fraudStatus', OLD.fraud_status,
        'orderAmount', OLD.order_amount, 'capturedAmount', OLD.captured_amount, 'refundedAmount', OLD.refunded_amount);
    types text[] := '{}';
    kind text;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status = 'needs_attention' THEN
            types := array_append(types, 'order.needs_attention');
        ELSIF NEW.status = 'failed' THEN
            -- Only an order the merchant was told about (needs_attention) is told how it ended.
            IF OLD.status = 'needs_attention' THEN types := array_append(types, 'order.failed'); END IF;
        ELSE
            IF OLD.status IN ('placing', 'needs_attention') THEN types := array_append(types, 'order.placed'); END IF;
            IF NEW.status = 'confirmed' THEN types := array_append(types, 'order.confirmed'); END IF;
            IF NEW.status = 'cancelled' THEN types := array_append(types, 'order.cancelled'); END IF;
        END IF;
    END IF;
    IF NEW.order_amount <> OLD.order_amount OR NEW.order_lines <> OLD.order_lines THEN
        types := array_append(types, 'order.amended');
    END IF;
    IF NEW.captured_amount > OLD.captured_amount THEN types := array_append(types, 'order.captured'); END IF;
    IF NEW.refunded_amount > OLD.refunded_amount THEN types := array_append(types, 'order.refunded'); END IF;
    FOREACH kind IN ARRAY types LOOP
        INSERT INTO order_event (order_id, type, state, previous) VALUES (NEW.id, kind, state, previous);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER "order_emits_events" AFTER UPDATE ON "order"
    FOR EACH ROW EXECUTE FUNCTION order_emits_events();
