"""The demo's users: one admin and three teams of a manager and four reps."""

from __future__ import annotations

import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Team, User
from crm.demo.clock import Clock

DEMO_PASSWORD = "pipeline-demo"
EMAIL_DOMAIN = "pipeline-demo.example"

# Index in this tuple is what names.Country.team refers to.
TEAMS: tuple[Promise, ...] = (_("Central Europe"), _("Southern Europe"), _("International"))


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: Role
    team: int | None
    time_zone: str


ROSTER: tuple[Person, ...] = (
    Person("admin", "Ada", "Lindqvist", Role.ADMIN, None, "UTC"),
    Person("maria", "Maria", "Schneider", Role.MANAGER, 0, "Europe/Berlin"),
    Person("jonas", "Jonas", "Weber", Role.REP, 0, "Europe/Berlin"),
    Person("lena", "Lena", "Fischer", Role.REP, 0, "Europe/Berlin"),
    Person("felix", "Felix", "Wagner", Role.REP, 0, "Europe/Berlin"),
    Person("sanne", "Sanne", "de Vries", Role.REP, 0, "UTC"),
    Person("marco", "Marco", "Rossi", Role.MANAGER, 1, "Europe/Rome"),
    Person("giulia", "Giulia", "Bianchi", Role.REP, 1, "Europe/Rome"),
    Person("luca", "Luca", "Romano", Role.REP, 1, "Europe/Rome"),
    Person("chiara", "Chiara", "Ricci", Role.REP, 1, "Europe/Rome"),
    Person("camille", "Camille", "Durand", Role.REP, 1, "Europe/Berlin"),
    Person("dewi", "Dewi", "Lestari", Role.MANAGER, 2, "Asia/Jakarta"),
    Person("budi", "Budi", "Santoso", Role.REP, 2, "Asia/Jakarta"),
    Person("siti", "Siti", "Rahayu", Role.REP, 2, "Asia/Jakarta"),
    Person("emma", "Emma", "Clarke", Role.REP, 2, "UTC"),
    Person("james", "James", "Miller", Role.REP, 2, "UTC"),
)


@dataclass(frozen=True)
class People:
    admin: User
    teams: list[Team]
    # Managers and reps, in roster order.
    sellers: list[User]
    # Whole hours ahead of UTC per user pk, to put activity in each seller's office hours.
    utc_offsets: dict[int, int]

    def team_sellers(self, team: int) -> list[User]:
        return [user for user in self.sellers if user.team_id == self.teams[team].pk]

    def pick_seller(self, rng: random.Random, team: int) -> User:
        sellers = self.team_sellers(team)
        # Managers keep a few key accounts; reps own the rest.
        return rng.choices(sellers, [1 if seller.is_manager else 4 for seller in sellers])[0]

    @property
    def reps(self) -> list[User]:
        return [user for user in self.sellers if user.role == Role.REP]


def _utc_offset_hours(time_zone: str, clock: Clock) -> int:
    offset = clock.anchor.astimezone(ZoneInfo(time_zone)).utcoffset()
    return int(offset.total_seconds() // 3600) if offset else 0


def create_people(clock: Clock) -> People:
    teams = Team.objects.bulk_create(
        [Team(name=str(name), created_at=clock.history_start) for name in TEAMS]
    )
    # One hash for everyone: PBKDF2 costs a few hundred milliseconds a call, and the demo
    # password is public anyway, so sixteen distinct salts would protect nothing.
    password = make_password(DEMO_PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@{EMAIL_DOMAIN}",
                password=password,
                role=person.role,
                team=None if person.team is None else teams[person.team],
                time_zone=person.time_zone,
                is_staff=person.role == Role.ADMIN,
                is_superuser=person.role == Role.ADMIN,
                date_joined=clock.history_start,
            )
            for person in ROSTER
        ]
    )
    for person, user in zip(ROSTER, users, strict=True):
        if person.role == Role.MANAGER and person.team is not None:
            teams[person.team].manager = user
    Team.objects.bulk_update(teams, ["manager"])
    return People(
        admin=users[0],
        teams=teams,
        sellers=[user for user in users if user.role != Role.ADMIN],
        utc_offsets={
            user.pk: _utc_offset_hours(person.time_zone, clock)
            for person, user in zip(ROSTER, users, strict=True)
        },
    )


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, role, team, password) for each roster user present in the database."""
    present = {
        user.username: user
        for user in User.objects.filter(username__in=[p.username for p in ROSTER]).select_related(
            "team"
        )
    }
    return [
        (
            user.username,
            str(user.get_role_display()),
            user.team.name if user.team else "-",
            DEMO_PASSWORD,
        )
        for person in ROSTER
        if (user := present.get(person.username)) is not None
    ]
