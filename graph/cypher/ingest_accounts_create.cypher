// Accounts not yet in the graph (checked in the same transaction): the node with its properties and its
// organisation, email domain, device and sign-up IP, created without the replace logic of ingest_accounts.
UNWIND $rows AS row
CREATE (a:Account {account_id: row.account_id})
SET a.created_at = datetime({epochMillis: row.created_at}),
    a.email = row.email,
    a.plan = row.plan,
    a.status = row.status,
    a.status_changed_at = CASE WHEN row.status_changed_at IS NULL THEN null
                               ELSE datetime({epochMillis: row.status_changed_at}) END,
    a.country = row.country,
    a.org_id = row.org_id,
    a.record = row.record,
    a.as_of = datetime({epochMillis: $as_of})
WITH a, row
CALL (a, row) {
  MATCH (o:Organization {org_id: row.org_id})
  CREATE (a)-[:BELONGS_TO]->(o)
}
CALL (a, row) {
  MATCH (d:EmailDomain {domain: row.domain})
  CREATE (a)-[:EMAIL_AT]->(d)
}
CALL (a, row) {
  MATCH (d:Device {fingerprint: row.signup_fingerprint})
  CREATE (a)-[:SIGNED_UP_FROM]->(d)
}
CALL (a, row) {
  MATCH (ip:IP {address: row.signup_ip})
  CREATE (a)-[:SIGNED_UP_AT]->(ip)
}
RETURN count(*) AS written
