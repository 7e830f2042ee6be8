// Partner matching: the accounts that signed up with an address at each reported email domain (at most
// $max_accounts each; free-mail domains are skipped: a partner's report of one names no one in particular).
UNWIND $values AS value
MATCH (e:EmailDomain {domain: value})
WHERE NOT coalesce(e.free, false)
CALL (e) {
  MATCH (a:Account)-[:EMAIL_AT]->(e)
  WITH DISTINCT a LIMIT $max_accounts
  RETURN a.account_id AS account_id
}
RETURN value AS reported, e.domain AS entity, account_id
