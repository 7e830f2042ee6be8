// Which of $ids are accounts already in the graph, with the content hash of their record (reference checks,
// new-account detection, unchanged re-sends).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS id, a.record AS record
