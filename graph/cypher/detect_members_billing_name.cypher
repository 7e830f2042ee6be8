// Accounts per billing (cardholder) name, for names used by 2..$cap accounts.
MATCH (e:BillingName)
WITH e, COUNT { (e)<-[:BILLED_AS]-() } AS rels
WHERE rels >= 2 AND rels <= $cap * 4
MATCH (e)<-[:BILLED_AS]-(a:Account)
WITH e, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $cap
RETURN e.hash AS entity, accounts
