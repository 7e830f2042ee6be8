// Partner matching: the accounts that paid with each reported payment fingerprint (at most $max_accounts each).
UNWIND $values AS value
MATCH (e:PaymentInstrument {fingerprint: value})
CALL (e) {
  MATCH (a:Account)-[:PAID_WITH]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.fingerprint AS entity, account_id
