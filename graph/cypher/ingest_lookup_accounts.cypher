// Which of $ids are accounts already in the graph (reference checks and new-account detection).
UNWIND $ids AS id
MATCH (a:Account {account_id: id})
RETURN a.account_id AS id
