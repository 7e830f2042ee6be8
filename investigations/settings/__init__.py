"""Settings: `base` plus one overlay per environment (dev, test, production), read from the environment."""
