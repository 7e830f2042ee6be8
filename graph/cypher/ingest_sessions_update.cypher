// Sessions that already exist: replace their properties and their account, key, IP and client links
// (exchange facts are replaced by ingest_session_facts when the drop has exchanges for them).
UNWIND $rows AS row
MATCH (s:Session {session_id: row.session_id})
MATCH (a:Account {account_id: row.account_id})
MATCH (k:APIKey {key_id: row.api_key_id})
MATCH (ip:IP {address: row.ip})
SET s.started_at = datetime({epochMillis: row.started_at}),
    s.ended_at = datetime({epochMillis: row.ended_at}),
    s.user_agent = row.user_agent,
    s.asn = row.asn
WITH s, a, k, ip, row
CALL (s, a) {
  MATCH (other)-[r:HAD_SESSION]->(s)
  WHERE other <> a
  DELETE r
}
CALL (s, a) {
  MERGE (a)-[:HAD_SESSION]->(s)
}
CALL (s, k) {
  MATCH (s)-[r:USED_KEY]->(other)
  WHERE other <> k
  DELETE r
}
CALL (s, k) {
  MERGE (s)-[:USED_KEY]->(k)
}
CALL (s, ip) {
  MATCH (s)-[r:FROM_IP]->(other)
  WHERE other <> ip
  DELETE r
}
CALL (s, ip) {
  MERGE (s)-[:FROM_IP]->(ip)
}
CALL (s, row) {
  MATCH (s)-[r:WITH_CLIENT]->(c)
  WHERE row.client_fingerprint IS NULL OR c.fingerprint <> row.client_fingerprint
  DELETE r
}
CALL (s, row) {
  MATCH (c:ClientFingerprint {fingerprint: row.client_fingerprint})
  MERGE (s)-[:WITH_CLIENT]->(c)
}
RETURN count(*) AS written
