"""The UI's views, one module per area: thin views that parse the request, call one selector or service, render."""
