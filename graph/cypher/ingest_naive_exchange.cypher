// Naive baseline (benchmark only): one exchange row per transaction, counted straight onto the graph: the
// session's totals and its model and template lists, the account's totals and USED_TEMPLATE.
MATCH (s:Session {session_id: $row.session_id})<-[:HAD_SESSION]-(a:Account)
WITH s, a, coalesce(s.models, []) AS ms, coalesce(s.model_exchanges, []) AS mn,
     coalesce(s.templates, []) AS ts, coalesce(s.template_exchanges, []) AS tn
WITH s, a,
     CASE WHEN $row.model IN ms THEN ms ELSE ms + $row.model END AS ms,
     CASE WHEN $row.model IN ms THEN mn ELSE mn + 0 END AS mn,
     CASE WHEN $row.prompt_fingerprint IN ts THEN ts ELSE ts + $row.prompt_fingerprint END AS ts,
     CASE WHEN $row.prompt_fingerprint IN ts THEN tn ELSE tn + 0 END AS tn
SET s.exchanges = coalesce(s.exchanges, 0) + 1,
    s.input_tokens = coalesce(s.input_tokens, 0) + $row.input_tokens,
    s.output_tokens = coalesce(s.output_tokens, 0) + $row.output_tokens,
    s.models = ms,
    s.model_exchanges = [i IN range(0, size(ms) - 1) | mn[i] + CASE WHEN ms[i] = $row.model THEN 1 ELSE 0 END],
    s.templates = ts,
    s.template_exchanges = [i IN range(0, size(ts) - 1) | tn[i] + CASE WHEN ts[i] = $row.prompt_fingerprint THEN 1 ELSE 0 END],
    a.exchanges = coalesce(a.exchanges, 0) + 1
MERGE (m:Model {name: $row.model})
MERGE (a)-[am:USED_MODEL]->(m)
SET am.exchanges = coalesce(am.exchanges, 0) + 1, am.last_seen = datetime($row.ts)
MERGE (t:PromptTemplate {template_id: $row.prompt_fingerprint})
MERGE (a)-[at:USED_TEMPLATE]->(t)
SET at.exchanges = coalesce(at.exchanges, 0) + 1
