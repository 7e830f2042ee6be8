// Accounts per TLS/HTTP client fingerprint, for fingerprints of 2..$cap accounts (popular SDK builds drop out).
MATCH (e:ClientFingerprint)
WITH e, COUNT { (e)<-[:USED_CLIENT]-() } AS rels
WHERE rels >= 2 AND rels <= $cap
MATCH (e)<-[:USED_CLIENT]-(a:Account)
RETURN e.fingerprint AS entity, collect(DISTINCT a.account_id) AS accounts
