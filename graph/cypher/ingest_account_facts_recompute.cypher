// Recompute the exchange facts and the derived USED_* relationships of accounts marked :Recompute (a re-sent
// session or its facts changed) from all of their sessions in the graph; stale derived relationships are
// removed, and so is the mark (it is the step's checkpoint: a retried step recomputes what is still marked).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
CALL (a) {
  OPTIONAL MATCH (a)-[:HAD_SESSION]->(s)
  WHERE s.exchanges > 0
  RETURN sum(s.exchanges) AS exchanges, sum(s.input_tokens) AS input_tokens,
         sum(s.output_tokens) AS output_tokens, sum(s.reasoning_exchanges) AS reasoning_exchanges,
         min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen, collect(s.cap_counts) AS caps
}
CALL (a) {
  OPTIONAL MATCH (a)-[:HAD_SESSION]->(s)
  WHERE size(coalesce(s.hours, [])) > 0
  UNWIND CASE WHEN s IS NULL THEN [] ELSE range(0, size(s.hours) - 1) END AS i
  WITH s.hours[i] AS hour, sum(s.hour_counts[i]) AS n
  ORDER BY hour
  RETURN collect(hour) AS hours, collect(n) AS hour_counts
}
SET a.exchanges = exchanges,
    a.input_tokens = input_tokens,
    a.output_tokens = output_tokens,
    a.reasoning_exchanges = reasoning_exchanges,
    a.cap_counts = reduce(acc = [0, 0, 0, 0, 0, 0, 0, 0, 0], c IN caps | [i IN range(0, 8) | acc[i] + c[i]]),
    a.hours = hours,
    a.hour_counts = hour_counts,
    a.first_seen = first_seen,
    a.last_seen = last_seen
WITH a
CALL (a) {
  MATCH (a)-[:HAD_SESSION]->(s)-[:FROM_IP]->(ip)
  WITH a, ip, count(s) AS sessions, sum(coalesce(s.exchanges, 0)) AS n, min(s.started_at) AS first,
       max(s.ended_at) AS last
  MERGE (a)-[r:USED_IP]->(ip)
  SET r.sessions = sessions, r.exchanges = n, r.first_seen = first, r.last_seen = last
}
CALL (a) {
  MATCH (a)-[r:USED_IP]->(ip)
  WHERE NOT EXISTS { (a)-[:HAD_SESSION]->()-[:FROM_IP]->(ip) }
  DELETE r
}
CALL (a) {
  MATCH (a)-[:HAD_SESSION]->(s)-[:WITH_CLIENT]->(c)
  WITH a, c, count(s) AS sessions, min(s.started_at) AS first, max(s.ended_at) AS last
  MERGE (a)-[r:USED_CLIENT]->(c)
  SET r.sessions = sessions, r.first_seen = first, r.last_seen = last
}
CALL (a) {
  MATCH (a)-[r:USED_CLIENT]->(c)
  WHERE NOT EXISTS { (a)-[:HAD_SESSION]->()-[:WITH_CLIENT]->(c) }
  DELETE r
}
CALL (a) {
  MATCH (a)-[:HAD_SESSION]->(s)
  WHERE s.templates IS NOT NULL
  UNWIND range(0, size(s.templates) - 1) AS i
  WITH a, s.templates[i] AS id, sum(s.template_exchanges[i]) AS n, min(s.template_first[i]) AS first,
       max(s.template_last[i]) AS last
  MATCH (t:PromptTemplate {template_id: id})
  MERGE (a)-[r:USED_TEMPLATE]->(t)
  SET r.exchanges = n, r.first_seen = datetime({epochMillis: first}), r.last_seen = datetime({epochMillis: last})
  RETURN collect(id) AS kept_templates
}
CALL (a, kept_templates) {
  MATCH (a)-[r:USED_TEMPLATE]->(t)
  WHERE NOT t.template_id IN kept_templates
  DELETE r
}
CALL (a) {
  MATCH (a)-[:HAD_SESSION]->(s)
  WHERE s.models IS NOT NULL
  UNWIND range(0, size(s.models) - 1) AS i
  WITH a, s.models[i] AS name, sum(s.model_exchanges[i]) AS n, min(s.model_first[i]) AS first,
       max(s.model_last[i]) AS last
  MATCH (m:Model {name: name})
  MERGE (a)-[r:USED_MODEL]->(m)
  SET r.exchanges = n, r.first_seen = datetime({epochMillis: first}), r.last_seen = datetime({epochMillis: last})
  RETURN collect(name) AS kept_models
}
CALL (a, kept_models) {
  MATCH (a)-[r:USED_MODEL]->(m)
  WHERE NOT m.name IN kept_models
  DELETE r
}
REMOVE a:Recompute
RETURN count(*) AS written
