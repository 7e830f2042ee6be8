// TLS/HTTP client fingerprints seen in sessions.
UNWIND $rows AS row
MERGE (:ClientFingerprint {fingerprint: row.fingerprint})
