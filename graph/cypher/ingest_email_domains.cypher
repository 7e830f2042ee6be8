// Sign-up email domains and whether each is a free-mail provider.
UNWIND $rows AS row
MERGE (d:EmailDomain {domain: row.domain})
SET d.free = row.free
