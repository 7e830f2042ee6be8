// Prompt templates an account used, busiest first, with how many accounts use each template.
MATCH (a:Account {account_id: $account_id})-[r:USED_TEMPLATE]->(t:PromptTemplate)
RETURN t.template_id AS template_id,
       t.fingerprint AS fingerprint,
       coalesce(r.exchanges, 0) AS exchanges,
       r.first_seen.epochMillis AS first_seen__ms,
       r.last_seen.epochMillis AS last_seen__ms,
       CASE WHEN t.accounts IS NOT NULL THEN t.accounts ELSE COUNT { (t)<-[:USED_TEMPLATE]-(:Account) } END
         AS accounts
ORDER BY exchanges DESC, template_id
LIMIT $limit
