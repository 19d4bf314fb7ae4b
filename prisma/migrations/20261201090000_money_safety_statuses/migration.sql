-- New status values (PostgreSQL lets a transaction use an enum value only after the one that added it committed,
-- so the rules that use them follow in the next migration).

-- An order whose Klarna outcome stayed unknown past PLACEMENT_ATTENTION_AFTER_MS (ops resolve it), and one that
-- Klarna definitely refused (terminal; the row is kept with Klarna's error code and correlation id).
ALTER TYPE "OrderStatus" ADD VALUE IF NOT EXISTS 'needs_attention' AFTER 'placing';
ALTER TYPE "OrderStatus" ADD VALUE IF NOT EXISTS 'failed';

-- A cart whose order is being placed: every change is refused (ORDER_IN_PROGRESS) until the outcome is known.
ALTER TYPE "CartStatus" ADD VALUE IF NOT EXISTS 'placing' AFTER 'checkout';

-- A Klarna session that a newer one of the same cart replaced (kept: its authorizations refer to it).
ALTER TYPE "KlarnaSessionStatus" ADD VALUE IF NOT EXISTS 'replaced';
