"""Finding the users a file names as owners, however the old CRM named them.

Exports name people by user name, e-mail, full name ("Anna Example", or "Example, Anna" as
some reports write it) or by the old CRM's user id (Salesforce's OwnerId), with the case
and spacing of whoever typed them. All of these are matched, ignoring case and extra
spaces, in that order of trust: an id, a user name, an e-mail, a full name.

Users are few, so the people an importer may choose are read once per import (one query)
and matched in Python, which treats accents and case alike on every database. A name that
fits two people is a row error naming both: guessing would give one rep the other's deals.

What happens to a name nobody has is the importer's choice (``ImportOptions.unknown_owners``):
the row is rejected, the record goes to one chosen user, or (admins only) an inactive user
without a password is created under that name, once per name per import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.assignment import assignable_users
from accounts.models import User
from accounts.services.usernames import UsernameAllocator, username_base
from crm.imports.options import ImportOptions, UnknownOwners
from crm.imports.parsing import CellError, ImportFileError

FIRST_NAME_LENGTH = User._meta.get_field("first_name").max_length or 150
LAST_NAME_LENGTH = User._meta.get_field("last_name").max_length or 150


def name_key(value: str) -> str:
    """A name as compared: case folded, spaces collapsed."""
    return " ".join(value.split()).casefold()


def split_name(value: str) -> tuple[str, str]:
    """(first name, last name) of a full name: "Anna Maria Example" or "Example, Anna Maria"."""
    last, comma, first = value.partition(",")
    if comma and first.strip() and last.strip():
        return " ".join(first.split()), " ".join(last.split())
    words = value.split()
    if len(words) < 2:
        return " ".join(words), ""
    return " ".join(words[:-1]), words[-1]


def full_name_keys(value: str) -> list[str]:
    """The keys a full name in a file may match: as written, and "Last, First" turned round."""
    keys = [name_key(value)]
    if "," in value:
        first, last = split_name(value)
        keys.append(name_key(f"{first} {last}"))
    return keys


def describe(user: User) -> str:
    return f"{user.username} ({user.email})" if user.email else user.username


def is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


class UserIndex:
    """Users by external id, user name, e-mail and full name; ``find`` tells one from many."""

    def __init__(self, users: Iterable[User] = ()) -> None:
        self._by_external_id: dict[str, list[User]] = defaultdict(list)
        self._by_username: dict[str, list[User]] = defaultdict(list)
        self._by_email: dict[str, list[User]] = defaultdict(list)
        self._by_full_name: dict[str, list[User]] = defaultdict(list)
        self.users: list[User] = []
        for user in users:
            self.add(user)

    def add(self, user: User) -> None:
        """Index ``user`` (saved or not yet) under its current id, names and e-mail; adding
        it again after a change indexes its new ones as well."""
        if all(other is not user for other in self.users):
            self.users.append(user)
        for index, key in (
            (self._by_external_id, user.external_id.strip()),
            (self._by_username, name_key(user.username)),
            (self._by_email, name_key(user.email)),
            (self._by_full_name, name_key(f"{user.first_name} {user.last_name}")),
        ):
            if key and all(other is not user for other in index[key]):
                index[key].append(user)

    def with_external_id(self, value: str) -> list[User]:
        return self._by_external_id.get(value.strip(), [])

    def with_username(self, value: str) -> list[User]:
        return self._by_username.get(name_key(value), [])

    def with_email(self, value: str) -> list[User]:
        return self._by_email.get(name_key(value), [])

    def find(self, value: str) -> User | None:
        """The one user ``value`` names; None for nobody. Raises CellError naming the users
        when it names several."""
        wanted = name_key(value)
        for index, keys in (
            (self._by_external_id, [value.strip()]),
            (self._by_username, [wanted]),
            (self._by_email, [wanted]),
            (self._by_full_name, full_name_keys(value)),
        ):
            for key in keys:
                matches = index.get(key)
                if not matches:
                    continue
                if len(matches) > 1:
                    raise CellError(
                        _("“%(name)s” names several users: %(users)s; give a user name or e-mail.")
                        % {"name": value, "users": ", ".join(describe(u) for u in matches)}
                    )
                return matches[0]
        return None


@dataclass
class UnknownOwner:
    """A name in the file that is nobody in the CRM, and what the import does with it."""

    name: str
    outcome: str  # an UnknownOwners value


class OwnerLookup:
    """Users the importer may make owners, found by any name the file gives them.

    ``candidates`` is the pages' rule for who may own the kind of record: by default the
    shared assignment rule (themselves; a manager's teams; anyone active for an admin). An
    admin's import may also name inactive users: a rep who left keeps their history.
    ``creates``: whether missing users are created (in the import's transaction); a preview,
    which writes nothing, only lists them and gives their rows to the importer meanwhile.
    """

    def __init__(
        self,
        by: User,
        candidates: Callable[[User], QuerySet[User]] = assignable_users,
        *,
        options: ImportOptions | None = None,
        creates: bool = True,
    ) -> None:
        self.by = by
        self.candidates = candidates
        options = options or ImportOptions()
        self.policy = options.unknown_owners or UnknownOwners.REJECT
        self.recipient_id = options.owners_to
        self.creates = creates
        self._index: UserIndex | None = None
        self._recipient: User | None = None
        self._allocator: UsernameAllocator | None = None
        # Names nobody has, by name_key: what the import does with each, for the preview.
        self.unknown: dict[str, UnknownOwner] = {}
        self._outcomes: dict[str, User | None] = {}
        # Each owner cell's answer, as written: a user's primary key or why there is none.
        # (Only ``load`` adds users, and it settles a batch's names before they are asked.)
        self._answers: dict[str, int | str] = {}

    def _users(self) -> QuerySet[User]:
        if self.by.is_admin:
            return User.objects.all()
        return self.candidates(self.by)

    @property
    def index(self) -> UserIndex:
        if self._index is None:
            self._index = UserIndex(self._users().order_by("pk"))
            self._check_policy()
        return self._index

    def _check_policy(self) -> None:
        if self.policy == UnknownOwners.CREATE and not self.by.is_admin:
            raise ImportFileError(_("Only admins may create users while importing."))
        if self.policy == UnknownOwners.ASSIGN:
            assert self._index is not None
            recipient = next(
                (user for user in self._index.users if user.pk == self.recipient_id), None
            )
            if recipient is None or not recipient.is_active:
                raise ImportFileError(
                    _("Choose an active user you may give records to for unknown owners.")
                )
            self._recipient = recipient

    @property
    def recipient(self) -> User | None:
        """With UnknownOwners.ASSIGN, once names are loaded: who receives unknown owners' rows."""
        return self._recipient

    def load(self, names: Iterable[str]) -> None:
        """Read the candidates (the first time) and settle this batch's unknown names.

        Creating users is one INSERT for the batch's new names; every other batch costs no
        query at all.
        """
        names = [name for name in dict.fromkeys(names) if name.strip()]
        if not names:
            return
        index = self.index
        new_users: list[User] = []
        for name in names:
            key = name_key(name)
            if key in self._outcomes:
                continue
            try:
                if index.find(name) is not None:
                    continue
            except CellError:
                continue  # ambiguous: owner_id says so, row by row
            self.unknown[key] = UnknownOwner(name=name, outcome=self.policy)
            if self.policy == UnknownOwners.CREATE and self.creates:
                user = self._new_user(name)
                new_users.append(user)
                self._outcomes[key] = user
            elif self.policy == UnknownOwners.ASSIGN:
                self._outcomes[key] = self._recipient
            elif self.policy == UnknownOwners.CREATE:
                self._outcomes[key] = self.by
            else:
                self._outcomes[key] = None
        if new_users:
            User.objects.bulk_create(new_users)
            for user in new_users:
                index.add(user)

    def _new_user(self, name: str) -> User:
        """An inactive user without a password, named as the file names them."""
        if self._allocator is None:
            # Only admins create users, and an admin's index holds every user.
            self._allocator = UsernameAllocator(user.username for user in self.index.users)
        value = " ".join(name.split())
        email = value if is_email(value) else ""
        is_name = not email and (" " in value or "," in value)
        first_name, last_name = split_name(value) if is_name else ("", "")
        username = self._allocator.allocate(username_base(email=email, name=value))
        return User(
            username=username,
            email=email,
            first_name=first_name[:FIRST_NAME_LENGTH],
            last_name=last_name[:LAST_NAME_LENGTH],
            is_active=False,
            # Unusable: the person sets one through password reset once reactivated.
            password=make_password(None),
            date_joined=timezone.now(),
        )

    def owner_id(self, name: str) -> int:
        """The primary key of the user ``name`` names, or of the one the importer chose for
        unknown names; raises CellError when nobody fits (or several do)."""
        # Files repeat a few owners over many rows: each distinct cell is matched once.
        known = self._answers.get(name)
        if known is None:
            try:
                known = self._owner_id(name)
            except CellError as error:
                known = str(error)
            self._answers[name] = known
        if isinstance(known, str):
            raise CellError(known)
        return known

    def _owner_id(self, name: str) -> int:
        user = self.index.find(name) or self._outcomes.get(name_key(name))
        if user is None:
            if self.by.is_admin:
                raise CellError(
                    _("No user “%(name)s”: import the users first, or choose to create them.")
                    % {"name": name}
                )
            raise CellError(_("No active user “%(name)s” you may make the owner.") % {"name": name})
        return user.pk
