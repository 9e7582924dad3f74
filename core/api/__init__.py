"""What every app's REST API shares.

``errors`` turns service exceptions into HTTP answers and documents them, ``listing`` holds
the pagination and ordering every list uses, ``access`` the one way a view finds the record
it reads or changes, ``fields`` and ``filters`` the id and time inputs of every endpoint.
"""
