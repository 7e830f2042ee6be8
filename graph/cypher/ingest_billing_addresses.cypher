// Billing addresses by hash of the normalised street address.
UNWIND $rows AS row
MERGE (b:BillingAddress {hash: row.hash})
SET b.country = coalesce(row.country, b.country), b.postal = coalesce(row.postal, b.postal)
