// Accounts per payment instrument (same card on several accounts), for instruments held by 2..$cap accounts.
MATCH (e:PaymentInstrument)
WITH e, COUNT { (e)<-[:PAID_WITH]-() } AS rels
WHERE rels >= 2 AND rels <= $cap * 4
MATCH (e)<-[:PAID_WITH]-(a:Account)
WITH e, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $cap
RETURN e.fingerprint AS entity, accounts
