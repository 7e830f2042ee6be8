// Partner matching: the accounts whose sessions used each reported client build fingerprint (at most
// $max_accounts each: a popular SDK build is held by thousands).
UNWIND $values AS value
MATCH (e:ClientFingerprint {fingerprint: value})
CALL (e) {
  MATCH (a:Account)-[:USED_CLIENT]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.fingerprint AS entity, account_id
