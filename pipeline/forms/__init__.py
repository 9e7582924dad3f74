"""Forms of the pipeline pages: the board's filters and moves, activity in the deal panel,
lead conversion, and the pipeline and stage settings. They parse; the services decide."""
