// Representative fingerprints of prompt templates, to match a prompt fingerprint within Hamming distance 3.
MATCH (t:PromptTemplate)
WHERE t.fingerprint IS NOT NULL
RETURN t.template_id AS template_id, t.fingerprint AS fingerprint
LIMIT $limit
