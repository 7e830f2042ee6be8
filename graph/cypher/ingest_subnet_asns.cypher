// (Subnet)-[:IN]->(ASN) for every subnet and ASN seen together in sessions.
UNWIND $rows AS row
MATCH (net:Subnet {prefix: row.prefix})
MATCH (x:ASN {number: row.number})
MERGE (net)-[:IN]->(x)
