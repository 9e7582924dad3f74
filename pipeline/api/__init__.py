"""The REST API of the pipeline app: pipelines, stages, deals and their moves, activity."""
