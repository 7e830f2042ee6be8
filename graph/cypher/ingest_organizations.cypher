// Organisations named by accounts.org_id.
UNWIND $rows AS row
MERGE (:Organization {org_id: row.org_id})
