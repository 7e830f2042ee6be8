// Naive baseline (benchmark only): one account row per transaction.
MERGE (a:Account {account_id: $row.account_id})
SET a.email = $row.email, a.plan = $row.plan, a.status = $row.status, a.created_at = datetime($row.created_at)
WITH a
CALL (a) {
  MATCH (o:Organization {org_id: $row.org_id})
  MERGE (a)-[:BELONGS_TO]->(o)
}
CALL (a) {
  MERGE (d:EmailDomain {domain: $row.domain})
  MERGE (a)-[:EMAIL_AT]->(d)
}
