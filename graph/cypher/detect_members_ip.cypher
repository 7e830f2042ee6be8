// Accounts per IP address (signed up from it or had sessions from it), for addresses of 2..$cap accounts.
MATCH (e:IP)
WITH e, COUNT { (e)<-[:USED_IP|SIGNED_UP_AT]-() } AS rels
WHERE rels >= 2 AND rels <= $cap * 2
MATCH (e)<-[:USED_IP|SIGNED_UP_AT]-(a:Account)
WITH e, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $cap
RETURN e.address AS entity, accounts
