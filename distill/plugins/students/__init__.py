"""Built-in students.

Every module implementing a hook is listed in distill.core.plugins.BUILTIN_PLUGINS.
"""
