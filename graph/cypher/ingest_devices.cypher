// Sign-up browser/device fingerprints.
UNWIND $rows AS row
MERGE (:Device {fingerprint: row.fingerprint})
