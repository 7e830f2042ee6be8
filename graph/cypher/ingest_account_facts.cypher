// Add a drop's exchange facts to accounts whose sessions in the drop are all new (sent in the same transaction
// that creates those sessions, so it is applied exactly once; a replayed batch finds its sessions and marks
// their accounts for a recompute instead): totals, capability and hour counts add, first/last seen widen, and
// each USED_IP / USED_CLIENT / USED_TEMPLATE / USED_MODEL relationship is created or has its counters added.
// No MERGE: only this transaction writes these accounts' relationships, so a missing one is simply created
// (on a dense node such as a model or a popular client build, creating a relationship takes no exclusive lock).
// The drop's hours normally follow the account's last hour (or share it); hours that reach back into its
// history (an out-of-order drop) cannot be merged here, and the account is marked for a recompute instead.
UNWIND $rows AS row
MATCH (a:Account {account_id: row.account_id})
WITH a, row, coalesce(a.hours, []) AS oh, coalesce(a.hour_counts, []) AS oc, row.hours AS rh, row.hour_counts AS rc
WITH a, row, CASE
  WHEN size(oh) = 0 OR size(rh) = 0 OR rh[0] > oh[-1] THEN [oh + rh, oc + rc]
  WHEN rh[0] = oh[-1] THEN [oh + rh[1..], oc[..-1] + [oc[-1] + rc[0]] + rc[1..]]
  END AS merged
CALL (a, merged) {
  WITH a WHERE merged IS NULL
  SET a:Recompute
}
CALL (a, row, merged) {
  WITH a, row, merged WHERE merged IS NOT NULL
  WITH a, row, merged,
       CASE WHEN row.first_seen IS NULL THEN null ELSE datetime({epochMillis: row.first_seen}) END AS first,
       CASE WHEN row.last_seen IS NULL THEN null ELSE datetime({epochMillis: row.last_seen}) END AS last
  SET a.exchanges = coalesce(a.exchanges, 0) + row.exchanges,
      a.input_tokens = coalesce(a.input_tokens, 0) + row.input_tokens,
      a.output_tokens = coalesce(a.output_tokens, 0) + row.output_tokens,
      a.reasoning_exchanges = coalesce(a.reasoning_exchanges, 0) + row.reasoning_exchanges,
      a.cap_counts = CASE WHEN a.cap_counts IS NULL THEN row.cap_counts
                          ELSE [i IN range(0, size(row.cap_counts) - 1) | a.cap_counts[i] + row.cap_counts[i]] END,
      a.hours = merged[0],
      a.hour_counts = merged[1],
      a.first_seen = CASE WHEN a.first_seen IS NULL OR first < a.first_seen THEN first ELSE a.first_seen END,
      a.last_seen = CASE WHEN a.last_seen IS NULL OR last > a.last_seen THEN last ELSE a.last_seen END
  WITH a, row
  CALL (a, row) {
    UNWIND row.ips AS x
    MATCH (ip:IP {address: x.key})
    OPTIONAL MATCH (a)-[r:USED_IP]->(ip)
    WITH a, ip, r, x, datetime({epochMillis: x.first}) AS first, datetime({epochMillis: x.last}) AS last
    SET r.sessions = r.sessions + x.sessions, r.exchanges = r.exchanges + x.n,
        r.first_seen = CASE WHEN first < r.first_seen THEN first ELSE r.first_seen END,
        r.last_seen = CASE WHEN last > r.last_seen THEN last ELSE r.last_seen END
    FOREACH (_ IN CASE WHEN r IS NULL THEN [1] ELSE [] END |
      CREATE (a)-[:USED_IP {sessions: x.sessions, exchanges: x.n, first_seen: first, last_seen: last}]->(ip))
  }
  CALL (a, row) {
    UNWIND row.clients AS x
    MATCH (c:ClientFingerprint {fingerprint: x.key})
    OPTIONAL MATCH (a)-[r:USED_CLIENT]->(c)
    WITH a, c, r, x, datetime({epochMillis: x.first}) AS first, datetime({epochMillis: x.last}) AS last
    SET r.sessions = r.sessions + x.sessions,
        r.first_seen = CASE WHEN first < r.first_seen THEN first ELSE r.first_seen END,
        r.last_seen = CASE WHEN last > r.last_seen THEN last ELSE r.last_seen END
    FOREACH (_ IN CASE WHEN r IS NULL THEN [1] ELSE [] END |
      CREATE (a)-[:USED_CLIENT {sessions: x.sessions, first_seen: first, last_seen: last}]->(c))
  }
  CALL (a, row) {
    UNWIND row.templates AS x
    MATCH (t:PromptTemplate {template_id: x.key})
    OPTIONAL MATCH (a)-[r:USED_TEMPLATE]->(t)
    WITH a, t, r, x, datetime({epochMillis: x.first}) AS first, datetime({epochMillis: x.last}) AS last
    SET r.exchanges = r.exchanges + x.n,
        r.first_seen = CASE WHEN first < r.first_seen THEN first ELSE r.first_seen END,
        r.last_seen = CASE WHEN last > r.last_seen THEN last ELSE r.last_seen END
    FOREACH (_ IN CASE WHEN r IS NULL THEN [1] ELSE [] END |
      CREATE (a)-[:USED_TEMPLATE {exchanges: x.n, first_seen: first, last_seen: last}]->(t))
  }
  CALL (a, row) {
    UNWIND row.models AS x
    MATCH (m:Model {name: x.key})
    OPTIONAL MATCH (a)-[r:USED_MODEL]->(m)
    WITH a, m, r, x, datetime({epochMillis: x.first}) AS first, datetime({epochMillis: x.last}) AS last
    SET r.exchanges = r.exchanges + x.n,
        r.first_seen = CASE WHEN first < r.first_seen THEN first ELSE r.first_seen END,
        r.last_seen = CASE WHEN last > r.last_seen THEN last ELSE r.last_seen END
    FOREACH (_ IN CASE WHEN r IS NULL THEN [1] ELSE [] END |
      CREATE (a)-[:USED_MODEL {exchanges: x.n, first_seen: first, last_seen: last}]->(m))
  }
}
RETURN count(*) AS written
