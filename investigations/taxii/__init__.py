"""A TAXII 2.1 server on DRF: partners' tools discover it, list the collections they are granted, page through the
objects published to them, and POST their own indicators. Partners authenticate with their own tokens only."""
