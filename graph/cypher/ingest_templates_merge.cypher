// Merge template $gone into $keep (a fingerprint bridged them): rewrite the template lists of the sessions
// of every account that used $gone (its entries become $keep's, counts added, first/last widened), move
// every account's USED_TEMPLATE the same way, then delete $gone. A merge already done matches nothing.
MATCH (keep:PromptTemplate {template_id: $keep})
MATCH (gone:PromptTemplate {template_id: $gone})
CALL (keep, gone) {
  MATCH (gone)<-[:USED_TEMPLATE]-(:Account)-[:HAD_SESSION]->(s:Session)
  WHERE gone.template_id IN s.templates
  CALL (s, keep, gone) {
    UNWIND range(0, size(s.templates) - 1) AS i
    WITH i, CASE s.templates[i] WHEN gone.template_id THEN keep.template_id ELSE s.templates[i] END AS id
    WITH id, min(i) AS at, sum(s.template_exchanges[i]) AS n, min(s.template_first[i]) AS first,
         max(s.template_last[i]) AS last
    ORDER BY at
    RETURN collect(id) AS ids, collect(n) AS ns, collect(first) AS firsts, collect(last) AS lasts
  }
  SET s.templates = ids, s.template_exchanges = ns, s.template_first = firsts, s.template_last = lasts
}
CALL (keep, gone) {
  MATCH (x)-[r:USED_TEMPLATE]->(gone)
  MERGE (x)-[k:USED_TEMPLATE]->(keep)
  ON CREATE SET k.exchanges = 0
  SET k.exchanges = k.exchanges + coalesce(r.exchanges, 0),
      k.first_seen = CASE WHEN k.first_seen IS NULL OR r.first_seen < k.first_seen THEN r.first_seen ELSE k.first_seen END,
      k.last_seen = CASE WHEN k.last_seen IS NULL OR r.last_seen > k.last_seen THEN r.last_seen ELSE k.last_seen END
  DELETE r
}
SET keep.members = $members
DETACH DELETE gone
RETURN count(*) AS merged
