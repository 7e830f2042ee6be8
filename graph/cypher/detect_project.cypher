// Project the weighted LINKED account graph into GDS (undirected), only the accounts that have links.
MATCH (a:Account)-[r:LINKED]->(b:Account)
WITH gds.graph.project(
  $graph_name, a, b,
  {relationshipProperties: {weight: r.weight}},
  {undirectedRelationshipTypes: ['*']}
) AS g
RETURN g.graphName AS graph, g.nodeCount AS nodes, g.relationshipCount AS relationships
