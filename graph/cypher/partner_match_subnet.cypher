// Partner matching: every address in the given /24 or /48 subnets with the accounts that signed up from or used
// it (at most $max_accounts per address); the caller keeps the addresses inside the reported network.
UNWIND $values AS value
MATCH (:Subnet {prefix: value})<-[:IN]-(e:IP)
CALL (e) {
  MATCH (a:Account)-[:SIGNED_UP_AT|USED_IP]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.address AS entity, account_id
