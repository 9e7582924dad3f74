"""What every app's REST API shares.

``errors`` turns service exceptions into HTTP answers and documents them, ``listing`` holds
the pagination and ordering every list uses, ``access`` the one way a view finds the record
it reads or changes, ``fields`` and ``filters`` the id, text, yes/no and time inputs of
every endpoint, ``serializers`` the model serializer base that uses them, ``parsers`` the
depth-limited JSON parser, and ``schema`` what the OpenAPI schema says about all of these.
"""
