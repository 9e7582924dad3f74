"""The REST API of the accounts app, and the pieces every app's API shares.

``errors`` turns service exceptions into HTTP answers and documents them, ``listing``
holds the pagination and ordering every list uses, ``access`` the one way a view finds
the record it reads or changes. They live here because every app depends on accounts.
"""
