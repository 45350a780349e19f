"""One module per `vantage` command group; each exposes `register(app)`."""
