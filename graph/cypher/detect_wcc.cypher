// Weakly connected components of the projected link graph.
CALL gds.wcc.stream($graph_name, {concurrency: $concurrency})
YIELD nodeId, componentId
RETURN gds.util.asNode(nodeId).account_id AS account_id, componentId AS component
