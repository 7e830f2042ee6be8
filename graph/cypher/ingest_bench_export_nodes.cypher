// Benchmark export: every node with its first label and its properties as [name, text] pairs (lists joined
// with ';'), converted on the server so the client writes neo4j-admin import files without decoding values.
MATCH (n)
RETURN labels(n)[0] AS label,
       [k IN keys(n) | [k, CASE WHEN valueType(n[k]) STARTS WITH 'LIST'
                                THEN reduce(s = '', x IN n[k] | s + CASE WHEN s = '' THEN '' ELSE ';' END + toString(x))
                                ELSE toString(n[k]) END]] AS props
