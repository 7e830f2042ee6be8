// The projected weighted links as (source, target, weight) with account ids, for a side-by-side check.
CALL gds.graph.relationshipProperty.stream($graph_name, 'weight')
YIELD sourceNodeId, targetNodeId, propertyValue
WHERE sourceNodeId < targetNodeId
RETURN sourceNodeId AS source, targetNodeId AS target, propertyValue AS weight
