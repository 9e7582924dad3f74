"""Custom fields: admin-defined typed fields on records, knowing no app.

``kinds`` is the type system (what a value of each kind may be, how it is stored as JSON,
shown, asked for in a form and filtered by); ``models`` the abstract definition each app
makes concrete for its records; ``values`` checks a record's values against its
definitions; ``definitions`` the rules for defining and changing fields. Values live on
each record in one JSON column, ``custom_fields``, by the definition's stable ``key``.
"""
