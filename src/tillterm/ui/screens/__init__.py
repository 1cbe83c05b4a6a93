"""One screen per module, each with its own ``styles/<name>.tcss``."""
