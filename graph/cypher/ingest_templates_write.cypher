// Create or extend prompt templates: the representative fingerprint (16 hex digits) and the full member list.
UNWIND $rows AS row
MERGE (t:PromptTemplate {template_id: row.template_id})
ON CREATE SET t.fingerprint = row.fingerprint, t.exchanges = 0, t.accounts = 0
SET t.members = row.members
