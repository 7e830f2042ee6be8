// Billing rows: (Account)-[:PAID_WITH {billing_id}]->(PaymentInstrument) with the period's spend, plus the
// billing address and name. A row from a drop older than the one that last wrote the billing id is skipped.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (p:PaymentInstrument {fingerprint: row.payment_fingerprint})
CALL (a, row) {
  MATCH (a)-[old:PAID_WITH {billing_id: row.billing_id}]->(other)
  WHERE other.fingerprint <> row.payment_fingerprint
  DELETE old
}
MERGE (a)-[r:PAID_WITH {billing_id: row.billing_id}]->(p)
WITH a, r, row, (r.as_of IS NULL OR r.as_of <= datetime({epochMillis: $as_of})) AS fresh
CALL (a, r, row, fresh) {
  WITH a, r, row WHERE fresh
  SET r.created_at = datetime({epochMillis: row.created_at}),
      r.spend_usd = row.spend_usd,
      r.method = row.method,
      r.as_of = datetime({epochMillis: $as_of})
  WITH a, row
  CALL (a, row) {
    MATCH (b:BillingAddress {hash: row.billing_address_hash})
    MERGE (a)-[:BILLED_AT]->(b)
  }
  CALL (a, row) {
    MATCH (n:BillingName {hash: row.billing_name_hash})
    MERGE (a)-[:BILLED_AS]->(n)
  }
}
RETURN count(*) AS written
