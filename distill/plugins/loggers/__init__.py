"""Built-in loggers (trackers mirroring the run folder), registered like any plugin's."""
