// The drop itself, by content hash; created once, so ingesting the same drop again changes nothing.
MERGE (d:Drop {fingerprint: $fingerprint})
ON CREATE SET d.path = $path, d.ingested_at = datetime(), d.as_of = datetime({epochMillis: $as_of})
RETURN d.fingerprint AS fingerprint
