// Naive baseline (benchmark only): one exchange row per transaction, counted straight onto the graph.
MATCH (s:Session {session_id: $row.session_id})<-[:HAD_SESSION]-(a:Account)
SET s.exchanges = coalesce(s.exchanges, 0) + 1,
    s.input_tokens = coalesce(s.input_tokens, 0) + $row.input_tokens,
    s.output_tokens = coalesce(s.output_tokens, 0) + $row.output_tokens,
    a.exchanges = coalesce(a.exchanges, 0) + 1
MERGE (m:Model {name: $row.model})
MERGE (s)-[um:USED_MODEL]->(m)
SET um.exchanges = coalesce(um.exchanges, 0) + 1, um.last_seen = datetime($row.ts)
MERGE (t:PromptTemplate {template_id: $row.prompt_fingerprint})
MERGE (s)-[ut:USED_TEMPLATE]->(t)
SET ut.exchanges = coalesce(ut.exchanges, 0) + 1
MERGE (a)-[at:USED_TEMPLATE]->(t)
SET at.exchanges = coalesce(at.exchanges, 0) + 1
