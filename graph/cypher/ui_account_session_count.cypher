// How many sessions one account had (no row when the account is unknown): the sessions page's total, without the
// profile's hour histogram and exchange facts.
MATCH (a:Account {account_id: $account_id})
RETURN COUNT { (a)-[:HAD_SESSION]->() } AS sessions
