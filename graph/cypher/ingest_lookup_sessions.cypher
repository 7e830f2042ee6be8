// Which of $ids are sessions already in the graph.
UNWIND $ids AS id
MATCH (s:Session {session_id: id})
RETURN s.session_id AS id
