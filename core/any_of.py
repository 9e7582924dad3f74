"""``field__any_of=values``: ``field IN (values)``, sent as one array on PostgreSQL.

``IN (…)`` with a thousand values is a thousand parameters: Django prepares each one and
psycopg splits and converts the statement around every placeholder, about 10 ms a lookup
of an import batch. ``= ANY(%s)`` sends the values as one array parameter; the plan is
the same (PostgreSQL turns ``IN`` lists into ``= ANY`` itself). Elsewhere it is ``IN``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if self.rhs_is_direct_value() is False or hasattr(self.rhs, "as_sql"):
            return super().as_sql(compiler, connection)
        field = self.lhs.output_field
        # get_prep_lookup has dropped None and prepared each value for the field.
        values = [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # The cast: an array of Python ints or strings has no column type of its own.
        array_type = field.db_type(connection)
        return f"{lhs} = ANY(%s::{array_type}[])", [*lhs_params, values]
