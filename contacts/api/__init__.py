"""The REST API of the contacts app: companies, contacts and leads.

Converting a lead makes a deal, which the pipeline app owns: that endpoint lives in
``pipeline.api``, so that this app never imports the one above it.
"""
