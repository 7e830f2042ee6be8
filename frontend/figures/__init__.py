"""Chart builders: pure functions from records to Plotly figures; templates only call Plotly.newPlot on them."""
