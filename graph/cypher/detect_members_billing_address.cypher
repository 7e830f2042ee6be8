// Accounts per billing address, for addresses used by 2..$cap accounts.
MATCH (e:BillingAddress)
WITH e, COUNT { (e)<-[:BILLED_AT]-() } AS rels
WHERE rels >= 2 AND rels <= $cap * 4
MATCH (e)<-[:BILLED_AT]-(a:Account)
WITH e, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $cap
RETURN e.hash AS entity, accounts
