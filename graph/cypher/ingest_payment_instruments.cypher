// Payment instruments by fingerprint; the latest drop's method wins, known BIN and issuer country are kept.
UNWIND $rows AS row
MERGE (p:PaymentInstrument {fingerprint: row.fingerprint})
SET p.method = row.method,
    p.card_bin = coalesce(row.card_bin, p.card_bin),
    p.issuer_country = coalesce(row.issuer_country, p.issuer_country)
