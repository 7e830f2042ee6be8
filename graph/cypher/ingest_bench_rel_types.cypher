// Benchmark export: every (relationship type, property, types) of the graph.
CALL db.schema.relTypeProperties() YIELD relType, propertyName, propertyTypes
RETURN substring(relType, 2, size(relType) - 3) AS type, propertyName AS property, propertyTypes AS types
