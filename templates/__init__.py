"""Built-in templates, read with importlib.resources."""
