// Replace the exchange, template and model facts of existing sessions (a re-sent period replaces, never
// adds) and mark each session's account for a recompute of its facts.
UNWIND range(0, size($c.session_id) - 1) AS i
MATCH (s:Session {session_id: $c.session_id[i]})
SET s.exchanges = $c.exchanges[i],
    s.input_tokens = $c.input_tokens[i],
    s.output_tokens = $c.output_tokens[i],
    s.reasoning_exchanges = $c.reasoning_exchanges[i],
    s.cap_counts = $c.cap_counts[i],
    s.hours = $c.hours[i],
    s.hour_counts = $c.hour_counts[i],
    s.first_seen = CASE WHEN $c.first_seen[i] IS NULL THEN null ELSE datetime({epochMillis: $c.first_seen[i]}) END,
    s.last_seen = CASE WHEN $c.last_seen[i] IS NULL THEN null ELSE datetime({epochMillis: $c.last_seen[i]}) END,
    s.templates = $c.templates[i],
    s.template_exchanges = $c.template_exchanges[i],
    s.template_first = $c.template_first[i],
    s.template_last = $c.template_last[i],
    s.models = $c.models[i],
    s.model_exchanges = $c.model_exchanges[i],
    s.model_first = $c.model_first[i],
    s.model_last = $c.model_last[i]
WITH s
CALL (s) {
  MATCH (a:Account)-[:HAD_SESSION]->(s)
  SET a:Recompute
}
RETURN count(*) AS written
