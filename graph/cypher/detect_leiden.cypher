// Leiden communities of the projected link graph, weighted by link strength.
CALL gds.leiden.stream($graph_name, {
  relationshipWeightProperty: 'weight',
  gamma: $gamma,
  maxLevels: $max_levels,
  randomSeed: $seed,
  concurrency: 1
})
YIELD nodeId, communityId
RETURN gds.util.asNode(nodeId).account_id AS account_id, communityId AS community
