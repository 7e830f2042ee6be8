// IP addresses with their version, and the /24 or /48 subnet holding each.
UNWIND $rows AS row
MERGE (ip:IP {address: row.address})
SET ip.version = row.version
MERGE (net:Subnet {prefix: row.prefix})
MERGE (ip)-[:IN]->(net)
