"""The web UI: thin views, Plotly figure builders, templates and static files."""
