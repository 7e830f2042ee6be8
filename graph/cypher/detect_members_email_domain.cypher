// Accounts per non-free email domain, for domains of 2..$cap accounts (free-mail providers never link).
MATCH (e:EmailDomain)
WHERE NOT coalesce(e.free, false)
WITH e, COUNT { (e)<-[:EMAIL_AT]-() } AS rels
WHERE rels >= 2 AND rels <= $cap
MATCH (e)<-[:EMAIL_AT]-(a:Account)
RETURN e.domain AS entity, collect(DISTINCT a.account_id) AS accounts
