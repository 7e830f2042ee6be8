// Models requested in exchanges or listed in model_releases; a known release time is kept when a drop has none.
UNWIND $rows AS row
MERGE (m:Model {name: row.name})
SET m.released_at = CASE WHEN row.released_at IS NULL THEN m.released_at ELSE datetime({epochMillis: row.released_at}) END
