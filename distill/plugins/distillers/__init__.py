"""Built-in distillers. Each module that implements a hook is registered as a plugin."""
