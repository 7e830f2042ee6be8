// Every prompt template with its representative fingerprint, exchange total and member fingerprints (signed
// 64-bit SimHashes), so a new drop's fingerprints are grouped consistently with earlier drops.
MATCH (t:PromptTemplate)
RETURN t.template_id AS template_id, t.fingerprint AS fingerprint, coalesce(t.exchanges, 0) AS exchanges,
       coalesce(t.members, []) AS members
ORDER BY template_id
