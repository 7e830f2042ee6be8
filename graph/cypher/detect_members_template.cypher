// Accounts per prompt template, for templates used by 2..$cap accounts.
MATCH (e:PromptTemplate)
WITH e, coalesce(e.accounts, COUNT { (e)<-[:USED_TEMPLATE]-(:Account) }) AS rels
WHERE rels >= 2 AND rels <= $cap
MATCH (e)<-[:USED_TEMPLATE]-(a:Account)
RETURN e.template_id AS entity, collect(DISTINCT a.account_id) AS accounts
