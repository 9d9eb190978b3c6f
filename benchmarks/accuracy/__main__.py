"""``python -m benchmarks.accuracy``."""

import signal

from benchmarks.accuracy.cli import main, stop

signal.signal(signal.SIGTERM, stop)  # `timeout` or a scheduler: end like Ctrl-C
main()
