"""Built-in students. Each module that implements a hook is registered as a plugin."""
