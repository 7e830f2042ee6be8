// Accounts as full records: a row from a drop whose period ($as_of, epoch ms) is not older than the one that
// last wrote the account replaces its properties and its organisation, email domain, device and sign-up IP;
// an older drop's row is counted but changes nothing.
UNWIND $rows AS row
MERGE (a:Account {account_id: row.account_id})
WITH a, row, (a.as_of IS NULL OR a.as_of <= datetime({epochMillis: $as_of})) AS fresh
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
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
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (a)-[r:BELONGS_TO]->(o)
  WHERE row.org_id IS NULL OR o.org_id <> row.org_id
  DELETE r
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (o:Organization {org_id: row.org_id})
  MERGE (a)-[:BELONGS_TO]->(o)
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (a)-[r:EMAIL_AT]->(d)
  WHERE row.domain IS NULL OR d.domain <> row.domain
  DELETE r
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (d:EmailDomain {domain: row.domain})
  MERGE (a)-[:EMAIL_AT]->(d)
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (a)-[r:SIGNED_UP_FROM]->(d)
  WHERE row.signup_fingerprint IS NULL OR d.fingerprint <> row.signup_fingerprint
  DELETE r
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (d:Device {fingerprint: row.signup_fingerprint})
  MERGE (a)-[:SIGNED_UP_FROM]->(d)
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (a)-[r:SIGNED_UP_AT]->(ip)
  WHERE row.signup_ip IS NULL OR ip.address <> row.signup_ip
  DELETE r
}
CALL (a, row, fresh) {
  WITH a, row WHERE fresh
  MATCH (ip:IP {address: row.signup_ip})
  MERGE (a)-[:SIGNED_UP_AT]->(ip)
}
RETURN count(*) AS written
