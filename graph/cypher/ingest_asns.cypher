// Autonomous systems; a drop without a name or type keeps the known one.
UNWIND $rows AS row
MERGE (x:ASN {number: row.number})
SET x.name = coalesce(row.name, x.name), x.type = coalesce(row.type, x.type)
