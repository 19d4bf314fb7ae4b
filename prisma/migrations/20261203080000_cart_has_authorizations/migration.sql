-- Whether an authorization was ever recorded for the cart. Most carts read and changed have none (a shopper
-- authorizes at the end), and with this flag their reads skip the klarna_authorization lookup. Set by a trigger on
-- every insert, so no writer can forget it; never cleared (authorizations are never deleted while their cart lives).
ALTER TABLE "cart" ADD COLUMN "has_authorizations" BOOLEAN NOT NULL DEFAULT false;

UPDATE "cart" SET "has_authorizations" = true
WHERE EXISTS (SELECT 1 FROM "klarna_authorization" a WHERE a."cart_id" = "cart"."id");

CREATE FUNCTION cart_has_authorizations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "cart" SET "has_authorizations" = true WHERE "id" = NEW."cart_id" AND NOT "has_authorizations";
    RETURN NULL;
END
$$;
CREATE TRIGGER "klarna_authorization_marks_cart" AFTER INSERT ON "klarna_authorization"
    FOR EACH ROW EXECUTE FUNCTION cart_has_authorizations();
