// Remove the LINKED relationships of the previous run, in batches (auto-commit transaction).
MATCH ()-[r:LINKED]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
