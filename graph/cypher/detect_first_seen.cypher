// Each account's first exchange as the graph knows it (null for an account without exchanges).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS id, a.first_seen AS first_seen
