-- Cart lines are priced by the catalog. In sales-tax markets (US) a line is net and carries the rate of the
-- `sales_tax` line it is taxed in; elsewhere it is null (the tax is inside the price, at `tax_rate`).
ALTER TABLE "cart_item" ADD COLUMN "sales_tax_rate" INTEGER;
