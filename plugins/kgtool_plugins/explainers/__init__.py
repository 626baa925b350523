"""Built-in explainer plugins."""
