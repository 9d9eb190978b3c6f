"""The small core: interfaces, plugins, registry, config, engine, metrics."""
