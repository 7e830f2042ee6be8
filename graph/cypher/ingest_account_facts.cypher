// Exchange facts of accounts whose every session is in this drop (new accounts), computed during ingest:
// totals, capability and hour counts, and the derived USED_IP / USED_CLIENT / USED_TEMPLATE / USED_MODEL.
// A new account has none of these relationships yet; a replayed batch finds them and leaves them as they are.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
SET a.exchanges = row.exchanges,
    a.input_tokens = row.input_tokens,
    a.output_tokens = row.output_tokens,
    a.reasoning_exchanges = row.reasoning_exchanges,
    a.cap_counts = row.cap_counts,
    a.hours = row.hours,
    a.hour_counts = row.hour_counts,
    a.first_seen = CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END,
    a.last_seen = CASE WHEN row.last_seen IS NULL THEN null ELSE datetime({epochMillis: row.last_seen}) END
WITH a, row, EXISTS { (a)-[:USED_IP|USED_CLIENT|USED_TEMPLATE|USED_MODEL]->() } AS replayed
CALL (a, row, replayed) {
  UNWIND CASE WHEN replayed THEN [] ELSE row.ips END AS x
  MATCH (ip:IP {address: x.key})
  CREATE (a)-[:USED_IP {sessions: x.sessions, exchanges: x.n, first_seen: datetime({epochMillis: x.first}),
                        last_seen: datetime({epochMillis: x.last})}]->(ip)
}
CALL (a, row, replayed) {
  UNWIND CASE WHEN replayed THEN [] ELSE row.clients END AS x
  MATCH (c:ClientFingerprint {fingerprint: x.key})
  CREATE (a)-[:USED_CLIENT {sessions: x.sessions, first_seen: datetime({epochMillis: x.first}),
                            last_seen: datetime({epochMillis: x.last})}]->(c)
}
CALL (a, row, replayed) {
  UNWIND CASE WHEN replayed THEN [] ELSE row.templates END AS x
  MATCH (t:PromptTemplate {template_id: x.key})
  CREATE (a)-[:USED_TEMPLATE {exchanges: x.n, first_seen: datetime({epochMillis: x.first}),
                              last_seen: datetime({epochMillis: x.last})}]->(t)
}
CALL (a, row, replayed) {
  UNWIND CASE WHEN replayed THEN [] ELSE row.models END AS x
  MATCH (m:Model {name: x.key})
  CREATE (a)-[:USED_MODEL {exchanges: x.n, first_seen: datetime({epochMillis: x.first}),
                           last_seen: datetime({epochMillis: x.last})}]->(m)
}
RETURN count(*) AS written
