"""Partners' STIX indicators: what a pattern names that the graph can hold (`patterns`), and the accounts that hold
it (`matching`). Pure Python, no Django."""
