"""The datasets service's HTTP layer: the tornado app, authentication, parameters, handlers."""
