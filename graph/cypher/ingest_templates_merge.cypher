// Merge template $gone into $keep (a fingerprint bridged them): move every USED_TEMPLATE relationship,
// adding counts and widening first/last seen, then delete $gone. A merge already done matches nothing.
MATCH (keep:PromptTemplate {template_id: $keep})
MATCH (gone:PromptTemplate {template_id: $gone})
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
