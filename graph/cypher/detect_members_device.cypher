// Accounts per sign-up device fingerprint, for devices used by 2..$cap accounts.
MATCH (e:Device)
WITH e, COUNT { (e)<-[:SIGNED_UP_FROM]-() } AS rels
WHERE rels >= 2 AND rels <= $cap
MATCH (e)<-[:SIGNED_UP_FROM]-(a:Account)
RETURN e.fingerprint AS entity, collect(DISTINCT a.account_id) AS accounts
