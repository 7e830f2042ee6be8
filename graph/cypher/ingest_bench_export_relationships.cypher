// Benchmark export: every relationship with its end nodes' labels and natural keys, and its properties as
// [name, text] pairs (see ingest_bench_export_nodes).
MATCH (a)-[r]->(b)
RETURN type(r) AS type, labels(a)[0] AS start_label,
       toString(coalesce(a.account_id, a.session_id, a.address, a.prefix, a.template_id, a.key_id, a.fingerprint,
                         a.hash, a.domain, a.org_id, a.number, a.name)) AS start,
       labels(b)[0] AS end_label,
       toString(coalesce(b.account_id, b.session_id, b.address, b.prefix, b.template_id, b.key_id, b.fingerprint,
                         b.hash, b.domain, b.org_id, b.number, b.name)) AS end,
       [k IN keys(r) | [k, CASE WHEN valueType(r[k]) STARTS WITH 'LIST'
                                THEN reduce(s = '', x IN r[k] | s + CASE WHEN s = '' THEN '' ELSE ';' END + toString(x))
                                ELSE toString(r[k]) END]] AS props
