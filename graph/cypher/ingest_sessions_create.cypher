// New sessions (none of $rows exists yet): the node with its exchange facts, its account, key, IP and client,
// and its template and model facts. Every referenced node was written by an earlier step.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
MATCH (k:APIKey {key_id: row.api_key_id})
MATCH (ip:IP {address: row.ip})
CREATE (s:Session {session_id: row.session_id})
SET s.started_at = datetime({epochMillis: row.started_at}),
    s.ended_at = datetime({epochMillis: row.ended_at}),
    s.user_agent = row.user_agent,
    s.asn = row.asn,
    s.exchanges = row.exchanges,
    s.input_tokens = row.input_tokens,
    s.output_tokens = row.output_tokens,
    s.reasoning_exchanges = row.reasoning_exchanges,
    s.cap_counts = row.cap_counts,
    s.hours = row.hours,
    s.hour_counts = row.hour_counts,
    s.first_seen = CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END,
    s.last_seen = CASE WHEN row.last_seen IS NULL THEN null ELSE datetime({epochMillis: row.last_seen}) END
CREATE (a)-[:HAD_SESSION]->(s)
CREATE (s)-[:USED_KEY]->(k)
CREATE (s)-[:FROM_IP]->(ip)
WITH s, row
CALL (s, row) {
  MATCH (c:ClientFingerprint {fingerprint: row.client_fingerprint})
  CREATE (s)-[:WITH_CLIENT]->(c)
}
CALL (s, row) {
  UNWIND row.templates AS x
  MATCH (t:PromptTemplate {template_id: x.id})
  CREATE (s)-[:USED_TEMPLATE {exchanges: x.n, first_seen: datetime({epochMillis: x.first}),
                              last_seen: datetime({epochMillis: x.last})}]->(t)
}
CALL (s, row) {
  UNWIND row.models AS x
  MATCH (m:Model {name: x.name})
  CREATE (s)-[:USED_MODEL {exchanges: x.n, first_seen: datetime({epochMillis: x.first}),
                           last_seen: datetime({epochMillis: x.last})}]->(m)
}
RETURN count(*) AS written
