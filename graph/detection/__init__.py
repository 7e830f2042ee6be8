"""Detection: link accounts, find communities in GDS, profile and score clusters, keep their ids across runs."""
