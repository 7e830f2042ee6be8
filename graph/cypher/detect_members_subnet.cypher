// Accounts per subnet (/24 or /48) through the addresses they used, for subnets of 2..$cap accounts.
MATCH (e:Subnet)<-[:IN]-(ip:IP)
WITH e, sum(COUNT { (ip)<-[:USED_IP|SIGNED_UP_AT]-() }) AS rels
WHERE rels >= 2 AND rels <= $cap * 2
MATCH (e)<-[:IN]-(:IP)<-[:USED_IP|SIGNED_UP_AT]-(a:Account)
WITH e, collect(DISTINCT a.account_id) AS accounts
WHERE size(accounts) >= 2 AND size(accounts) <= $cap
RETURN e.prefix AS entity, accounts
