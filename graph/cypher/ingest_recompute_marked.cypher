// Accounts marked for a recompute of their exchange facts (a re-sent session, facts of an earlier drop's
// session, an out-of-order drop), in id order.
MATCH (a:Account:Recompute)
RETURN a.account_id AS id
ORDER BY id
