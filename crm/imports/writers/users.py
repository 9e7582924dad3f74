"""Users and their teams, from the old CRM's user list. Only an admin's import writes any.

A row updates the user with its external id, else its user name, else its e-mail; other
rows create users. A new user gets an unusable password: they choose one through "forgot
password", so nobody's password travels in a spreadsheet. Their user name, when the file
has none, is made from the e-mail's local part or the full name (``anna.example``), with
2, 3, … added when it is taken.

A team is found by name, or created. The manager column names who manages the user's team
(by e-mail, user name, full name or external id), someone already in the CRM or on a row
of the file read so far (the same batch of a thousand rows, or an earlier one); it sets
the team's manager. Two rows giving one team different managers: the later row is
rejected. A row with a manager but no team puts the user in the one team that manager
manages.

Users are few, so all of them are read once per import; each batch then costs a few
statements: the new teams, the new users, the updated users, the teams' managers.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from accounts.services.usernames import UsernameAllocator, username_base, valid_username
from crm.imports.bulk import update_records
from crm.imports.kinds import CleanRow
from crm.imports.models import ImportKind
from crm.imports.owners import UserIndex, describe, name_key, split_name
from crm.imports.parsing import CellError
from crm.imports.writers.base import BatchPlan, Planned, RowProblem, Writer

# Fields of a row that a user record takes as they are.
PLAIN_FIELDS = ("external_id", "email", "first_name", "last_name", "is_active")


def role_of(value: str, translated: dict[str, str]) -> str:
    """A role by its code or its name, either case, after the import's value mapping."""
    mapped = {name.casefold(): ours for name, ours in translated.items()}
    wanted = mapped.get(value.casefold(), value).casefold()
    for code, label in Role.choices:
        if wanted in {code.casefold(), str(label).casefold()}:
            return code
    raise CellError(
        _("“%(value)s” is not a role; use one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(Role.values)}
    )


class UserWriter(Writer):
    model = User
    kind = ImportKind.USERS
    has_owner = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._people: UserIndex | None = None
        self._usernames: UsernameAllocator | None = None
        self._teams: dict[str, Team] | None = None
        # Ids, user names and e-mails given so far, and on which line: each user once a file.
        self._seen: dict[tuple[str, str], int] = {}
        # The manager this file gives each team (by team key), and the line that gave it.
        self._managers: dict[str, tuple[User, int]] = {}
        # This batch's teams and managers, by the planned user they come with.
        self._row_team: dict[int, Team] = {}
        self._row_manager: dict[int, tuple[Team, User]] = {}

    # Reading what the CRM has, once per import

    @property
    def people(self) -> UserIndex:
        if self._people is None:
            users = list(User.objects.order_by("pk"))
            self._people = UserIndex(users)
            self._usernames = UsernameAllocator(user.username for user in users)
        return self._people

    @property
    def usernames(self) -> UsernameAllocator:
        self.people  # noqa: B018 (reads the users, and their names with them)
        assert self._usernames is not None
        return self._usernames

    @property
    def teams(self) -> dict[str, Team]:
        if self._teams is None:
            self._teams = {name_key(team.name): team for team in Team.objects.all()}
        return self._teams

    # Planning

    def plan(self, rows: list[CleanRow]) -> BatchPlan:
        plan = BatchPlan()
        if not self.by.is_admin:
            for row in rows:
                plan.reject(row.line, "", _("Only admins import users."))
            return plan
        self._row_team.clear()
        self._row_manager.clear()
        candidates: list[tuple[CleanRow, Planned]] = []
        # First every row's user, so that a manager on a later row of the batch is known…
        for row in rows:
            if row.problems:
                for problem in row.problems:
                    plan.reject(row.line, problem.field, problem.message)
                continue
            try:
                planned = self._plan_user(row)
            except RowProblem as problem:
                plan.reject(row.line, problem.field, problem.message)
                continue
            candidates.append((row, planned))
        # …then their teams and managers.
        for row, planned in candidates:
            try:
                self._plan_team(row, planned)
            except RowProblem as problem:
                plan.reject(row.line, problem.field, problem.message)
                continue
            plan.accepted.append(planned)
        self._drop_managers_rejected(plan)
        return plan

    def _plan_user(self, row: CleanRow) -> Planned:
        values = row.values
        user = self._matching_user(values)
        is_new = user is None
        self._check_once(row)
        role = self._role(values)
        if user is None:
            if not {"username", "email", "name", "first_name", "last_name"} & values.keys():
                raise RowProblem("username", _("A new user needs a user name, an email or a name."))
            user = User(date_joined=self.now, password=make_password(None))
        elif user.pk == self.by.pk:
            self._check_own_row(values, role)
        elif user.is_superuser and not self.by.is_superuser:
            raise RowProblem("", _("Only a superuser may change a superuser's account."))
        username = self._given_username(user, values)
        # Checked first, changed after: a rejected row leaves the user as the CRM has them.
        for name in PLAIN_FIELDS:
            if name in values:
                setattr(user, name, values[name])
        if "name" in values:
            first_name, last_name = split_name(values["name"])
            user.first_name = values.get("first_name", first_name)
            user.last_name = values.get("last_name", last_name)
        if role:
            user.role = role
        if username:
            self.usernames.claim(username)
            user.username = username
        elif is_new:
            full_name = f"{user.first_name} {user.last_name}".strip()
            user.username = self.usernames.allocate(username_base(email=user.email, name=full_name))
        self.people.add(user)
        return Planned(row.line, user, is_new)

    def _role(self, values: dict[str, Any]) -> str:
        if "role" not in values:
            return ""
        try:
            return role_of(values["role"], self.options.values.get("role", {}))
        except CellError as error:
            raise RowProblem("role", str(error)) from None

    def _matching_user(self, values: dict[str, Any]) -> User | None:
        """The user the row is about: by external id, else user name, else e-mail."""
        people = self.people
        for field_name, found in (
            ("external_id", people.with_external_id),
            ("username", people.with_username),
            ("email", people.with_email),
        ):
            if field_name not in values:
                continue
            matches = found(values[field_name])
            if len(matches) > 1:
                raise RowProblem(
                    field_name,
                    _("Several users have “%(value)s”: %(users)s.")
                    % {
                        "value": values[field_name],
                        "users": ", ".join(describe(user) for user in matches),
                    },
                )
            if matches:
                user = matches[0]
                self._check_no_other_user(values, user)
                return user
        return None

    def _check_no_other_user(self, values: dict[str, Any], user: User) -> None:
        """The row's other ids may not belong to someone else: it would merge two people."""
        people = self.people
        for field_name, found in (
            ("external_id", people.with_external_id),
            ("username", people.with_username),
            ("email", people.with_email),
        ):
            if field_name not in values:
                continue
            others = [other for other in found(values[field_name]) if other is not user]
            if others:
                raise RowProblem(
                    field_name,
                    _("“%(value)s” belongs to another user, %(user)s.")
                    % {
                        "value": values[field_name],
                        "user": describe(others[0]),
                    },
                )

    def _check_once(self, row: CleanRow) -> None:
        keys = [
            (field_name, row.values[field_name].strip().casefold())
            for field_name in ("external_id", "username", "email")
            if field_name in row.values
        ]
        for key in keys:
            if key in self._seen:
                raise RowProblem(
                    key[0],
                    _("“%(value)s” is also on line %(line)s; give each user once.")
                    % {"value": row.values[key[0]], "line": self._seen[key]},
                )
        for key in keys:
            self._seen[key] = row.line

    def _check_own_row(self, values: dict[str, Any], role: str) -> None:
        # An admin importing the team's list must not lock themselves out on the way.
        if values.get("is_active") is False:
            raise RowProblem("is_active", _("You cannot deactivate yourself in an import."))
        if role and role != Role.ADMIN and not self.by.is_superuser:
            raise RowProblem("role", _("You cannot take away your own admin role."))

    def _given_username(self, user: User, values: dict[str, Any]) -> str:
        """The row's user name made valid, if it has one; "" otherwise."""
        if "username" not in values:
            return ""
        username = valid_username(values["username"])
        if not username:
            raise RowProblem(
                "username",
                _("“%(value)s” holds no letters or digits for a user name.")
                % {"value": values["username"]},
            )
        if username.casefold() != user.username.casefold() and self.usernames.is_taken(username):
            raise RowProblem(
                "username",
                _("The user name “%(value)s” is taken by another user.") % {"value": username},
            )
        return username

    def _plan_team(self, row: CleanRow, planned: Planned) -> None:
        user: User = planned.record
        values = row.values
        team: Team | None = None
        if "team" in values:
            key = name_key(values["team"])
            team = self.teams.get(key)
            if team is None:
                team = self.teams[key] = Team(name=" ".join(values["team"].split()))
        if "manager" in values:
            manager = self._manager(values["manager"])
            if team is None:
                team = self._team_of(user) or self._team_managed_by(manager, values["manager"])
            self._give_team_manager(team, manager, row.line)
            self._row_manager[id(user)] = (team, manager)
        if team is not None:
            self._row_team[id(user)] = team

    def _manager(self, value: str) -> User:
        try:
            manager = self.people.find(value)
        except CellError as error:
            raise RowProblem("manager", str(error)) from None
        if manager is None:
            raise RowProblem(
                "manager",
                _("No user “%(name)s” in the CRM or on an earlier row of this file.")
                % {"name": value},
            )
        return manager

    def _team_of(self, user: User) -> Team | None:
        if user.team_id is None:
            return None
        return next((team for team in self.teams.values() if team.pk == user.team_id), None)

    def _team_managed_by(self, manager: User, value: str) -> Team:
        """The one team ``manager`` manages, or a new one named after them (Salesforce has
        managers, not teams: each manager's reports become a team)."""

        def is_managed(key: str, team: Team) -> bool:
            if key in self._managers:  # this file's word over the CRM's
                return self._managers[key][0] is manager
            return team.manager_id is not None and team.manager_id == manager.pk

        managed = [team for key, team in self.teams.items() if is_managed(key, team)]
        if len(managed) > 1:
            raise RowProblem(
                "team",
                _("“%(name)s” manages %(count)s teams: give the user's team in a team column.")
                % {"name": value, "count": len(managed)},
            )
        if managed:
            return managed[0]
        name = _("%(manager)s's team") % {"manager": manager}
        key = name_key(name)
        if key in self.teams:
            raise RowProblem(
                "team",
                _("The team “%(team)s” has another manager: give the user's team in a team column.")
                % {"team": name},
            )
        team = self.teams[key] = Team(name=name[: Team._meta.get_field("name").max_length])
        return team

    def _give_team_manager(self, team: Team, manager: User, line: int) -> None:
        key = name_key(team.name)
        given = self._managers.get(key)
        if given is not None and given[0] is not manager:
            raise RowProblem(
                "manager",
                _("Line %(line)s makes %(other)s the manager of %(team)s; this row names %(name)s.")
                % {
                    "line": given[1],
                    "other": describe(given[0]),
                    "team": team.name,
                    "name": describe(manager),
                },
            )
        if given is None:
            self._managers[key] = (manager, line)

    def _drop_managers_rejected(self, plan: BatchPlan) -> None:
        """A row naming as manager a new user whose own row was rejected is rejected too:
        nobody is created to manage the team. Repeated, as that row may manage others."""
        while True:
            accepted = {id(planned.record) for planned in plan.accepted}
            rejected_new = {
                id(user)
                for user in self.people.users
                if user.pk is None and id(user) not in accepted
            }
            dropped = [
                planned
                for planned in plan.accepted
                if id(planned.record) in self._row_manager
                and id(self._row_manager[id(planned.record)][1]) in rejected_new
            ]
            if not dropped:
                return
            for planned in dropped:
                team, _manager = self._row_manager.pop(id(planned.record))
                key = name_key(team.name)
                if self._managers.get(key, (None, 0))[1] == planned.line:
                    del self._managers[key]  # the team's manager is still to be given
                plan.accepted.remove(planned)
                plan.reject(
                    planned.line,
                    "manager",
                    _("The manager's own row is rejected; fix it and import again."),
                )

    # Writing

    def write(self, plan: BatchPlan) -> tuple[int, int]:
        accepted = [planned.record for planned in plan.accepted]
        # Only the accepted rows' teams: a team named by a rejected row alone is not made.
        teams = {
            id(team): team
            for team in (self._row_team.get(id(user)) for user in accepted)
            if team is not None
        }
        new_teams = [team for team in teams.values() if team.pk is None]
        if new_teams:
            Team.objects.bulk_create(new_teams)
        for user in accepted:
            team = self._row_team.get(id(user))
            if team is not None:
                user.team_id = team.pk
        new = [planned.record for planned in plan.accepted if planned.is_new]
        changed = [planned.record for planned in plan.accepted if not planned.is_new]
        if new:
            User.objects.bulk_create(new)
        if changed:
            update_records(User, changed, self.update_fields())
        managed: dict[int, Team] = {}
        # A team's manager sees and manages its records only with the manager role.
        promoted: dict[int, User] = {}
        for user in accepted:
            team_manager = self._row_manager.get(id(user))
            if team_manager is None:
                continue
            team, manager = team_manager
            if team.manager_id != manager.pk:
                team.manager_id = manager.pk
                managed[team.pk] = team
            if manager.role == Role.REP:
                manager.role = Role.MANAGER
                promoted[manager.pk] = manager
        update_records(Team, list(managed.values()), ["manager"])
        update_records(User, list(promoted.values()), ["role"])
        return len(new), len(changed)

    def update_fields(self) -> list[str]:
        names = [name for name in PLAIN_FIELDS if name in self.mapped]
        if "name" in self.mapped:
            names += ["first_name", "last_name"]
        for name in ("username", "role"):
            if name in self.mapped:
                names.append(name)
        if self.mapped & {"team", "manager"}:
            names.append("team")
        return list(dict.fromkeys(names))
