"""Domain events of the contacts app, sent after the transaction that caused them commits.

Receivers (outgoing webhooks, for one) live in apps that know about contacts; contacts
itself never imports them.
"""

from django.dispatch import Signal

# sender=Lead, lead=<Lead>, by=<User or None>
lead_created = Signal()
