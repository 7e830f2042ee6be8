// Partner matching: the accounts that signed up from each reported device fingerprint (at most $max_accounts each).
UNWIND $values AS value
MATCH (e:Device {fingerprint: value})
CALL (e) {
  MATCH (a:Account)-[:SIGNED_UP_FROM]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.fingerprint AS entity, account_id
