// Billing names by hash of the normalised cardholder name.
UNWIND $rows AS row
MERGE (:BillingName {hash: row.hash})
