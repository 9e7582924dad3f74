"""Pages and htmx endpoints of the pipeline app, one module per screen."""
