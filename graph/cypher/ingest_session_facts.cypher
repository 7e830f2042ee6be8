// Replace the exchange facts of existing sessions (a re-sent period replaces, never adds) and their
// template and model facts; returns each session's account so account facts can be recomputed.
UNWIND $rows AS row
MATCH (s:Session {session_id: row.session_id})
SET s.exchanges = row.exchanges,
    s.input_tokens = row.input_tokens,
    s.output_tokens = row.output_tokens,
    s.reasoning_exchanges = row.reasoning_exchanges,
    s.cap_counts = row.cap_counts,
    s.hours = row.hours,
    s.hour_counts = row.hour_counts,
    s.first_seen = CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END,
    s.last_seen = CASE WHEN row.last_seen IS NULL THEN null ELSE datetime({epochMillis: row.last_seen}) END
WITH s, row
CALL (s, row) {
  MATCH (s)-[r:USED_TEMPLATE]->(t)
  WHERE NOT t.template_id IN [x IN row.templates | x.id]
  DELETE r
}
CALL (s, row) {
  UNWIND row.templates AS x
  MATCH (t:PromptTemplate {template_id: x.id})
  MERGE (s)-[r:USED_TEMPLATE]->(t)
  SET r.exchanges = x.n, r.first_seen = datetime({epochMillis: x.first}), r.last_seen = datetime({epochMillis: x.last})
}
CALL (s, row) {
  MATCH (s)-[r:USED_MODEL]->(m)
  WHERE NOT m.name IN [x IN row.models | x.name]
  DELETE r
}
CALL (s, row) {
  UNWIND row.models AS x
  MATCH (m:Model {name: x.name})
  MERGE (s)-[r:USED_MODEL]->(m)
  SET r.exchanges = x.n, r.first_seen = datetime({epochMillis: x.first}), r.last_seen = datetime({epochMillis: x.last})
}
OPTIONAL MATCH (a)-[:HAD_SESSION]->(s)
RETURN a.account_id AS account_id
