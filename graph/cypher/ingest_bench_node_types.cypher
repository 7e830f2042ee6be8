// Benchmark export: every (label, property, types) of the graph, for typed neo4j-admin import headers.
CALL db.schema.nodeTypeProperties() YIELD nodeLabels, propertyName, propertyTypes
RETURN nodeLabels[0] AS label, propertyName AS property, propertyTypes AS types
