// Sessions that already exist: replace their properties and their account, key, IP and client links
// (exchange facts are replaced by ingest_session_facts when the drop has exchanges for them). A re-sent session
// cannot be added to its account's facts, so the account (and a previous owner) is marked for a recompute.
UNWIND range(0, size($c.session_id) - 1) AS i
MATCH (s:Session {session_id: $c.session_id[i]})
MATCH (a:Account {account_id: $c.account_id[i]})
MATCH (k:APIKey {key_id: $c.api_key_id[i]})
MATCH (ip:IP {address: $c.ip[i]})
SET s.started_at = datetime({epochMillis: $c.started_at[i]}),
    s.ended_at = datetime({epochMillis: $c.ended_at[i]}),
    s.user_agent = $c.user_agent[i],
    s.asn = $c.asn[i],
    a:Recompute
WITH s, a, k, ip, i
CALL (s, a) {
  MATCH (other)-[r:HAD_SESSION]->(s)
  WHERE other <> a
  SET other:Recompute
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
CALL (s, i) {
  MATCH (s)-[r:WITH_CLIENT]->(c)
  WHERE $c.client_fingerprint[i] IS NULL OR c.fingerprint <> $c.client_fingerprint[i]
  DELETE r
}
CALL (s, i) {
  MATCH (c:ClientFingerprint {fingerprint: $c.client_fingerprint[i]})
  MERGE (s)-[:WITH_CLIENT]->(c)
}
RETURN count(*) AS written
