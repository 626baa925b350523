"""kgtool's built-in plugins: sources, models and explainers, registered like any third party's."""
