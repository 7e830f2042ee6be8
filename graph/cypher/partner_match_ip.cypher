// Partner matching: the accounts that signed up from or used each reported IP address (at most $max_accounts
// per address, so a shared NAT or proxy address cannot flood the matches).
UNWIND $values AS value
MATCH (e:IP {address: value})
CALL (e) {
  MATCH (a:Account)-[:SIGNED_UP_AT|USED_IP]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.address AS entity, account_id
