"""Core: base layout, error pages, security headers, the ``flask tourplan`` command group."""
