"""Simultaneous moves through a real gunicorn: what a team dragging cards at once waits.

A gunicorn of ``WORKERS`` processes with ``THREADS`` threads each serves the bench
database; ``CLIENTS`` threads, each a logged-in owner of the deal it moves, post one move
each at the same instant (a barrier), ``ROUNDS`` times. The figure is each move's wall
time as its client saw it: queueing in gunicorn, the database's locks (two moves into one
column wait for each other's column lock) and the answer. The moves are the move
benchmark's mix of stage changes and reorders (``move_bench.Planner``), of different
deals in each round.

Sessions and CSRF tokens are made in-process and sent as plain headers: the production
settings mark both cookies Secure, which an HTTP client keeps for HTTPS.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace

import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bench.board_bench import biggest_pipeline
from bench.common import ROOT, BenchError, Row, Sample, Target, duration, say
from bench.move_bench import Move, Planner

CLIENTS = 50
ROUNDS = 4
# Untimed first: each gunicorn worker's first requests import, connect and compile.
WARM_UP_ROUNDS = 1
# Five processes of ten threads: as many requests in flight as clients, on two CPUs.
WORKERS = 5
THREADS = 10
STARTUP_SECONDS = 60
RANDOM_SEED = 2
# What the issue "The board at 100,000 open deals" asks of a team dragging cards at once.
TARGET = Target(p95_ms=300)


@dataclass(frozen=True)
class Outcome:
    seconds: float
    status: int
    moved: bool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1"}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "crm.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--worker-class",
        "gthread",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=environment)
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise BenchError(f"gunicorn exited with {server.returncode} while starting")
            try:
                requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                return server
            # Not listening yet, or a worker still importing on a busy machine: ask again.
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within {STARTUP_SECONDS} s")
    except BaseException:
        # Whatever stops the start-up, the server must not outlive the benchmark.
        server.terminate()
        server.wait(timeout=30)
        raise


class Sessions:
    """A session and a CSRF token per owner, as their browser would hold them."""

    def __init__(self) -> None:
        self.headers: dict[int, dict[str, str]] = {}

    def for_user(self, user: User) -> dict[str, str]:
        if user.pk not in self.headers:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            token = secrets.token_hex(16)  # a CSRF secret: 32 characters
            cookies = {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: token}
            cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
            self.headers[user.pk] = {"Cookie": cookie, "X-CSRFToken": token}
        return self.headers[user.pk]


def distinct_moves(planner: Planner, count: int) -> list[Move]:
    """``count`` moves of as many different deals."""
    moves: list[Move] = []
    seen: set[int] = set()
    for move in planner.mix(count * 3):
        if move.deal.pk not in seen:
            seen.add(move.deal.pk)
            moves.append(move)
        if len(moves) == count:
            return moves
    raise BenchError(f"Could not plan {count} moves of different deals.")


def run_round(port: int, moves: list[Move], sessions: Sessions) -> list[Outcome]:
    start = threading.Barrier(len(moves))
    outcomes: list[Outcome | None] = [None] * len(moves)
    prepared = [
        (
            f"http://127.0.0.1:{port}{reverse('pipeline:move', args=[move.deal.pk])}",
            {
                **sessions.for_user(move.deal.owner),
                "HX-Request": "true",
                "HX-Target": f"deal-{move.deal.pk}",
            },
            move.data,
        )
        for move in moves
    ]

    def post(index: int) -> None:
        url, headers, data = prepared[index]
        with requests.Session() as http:
            start.wait(timeout=60)
            started = time.perf_counter()
            response = http.post(url, data=data, headers=headers, timeout=60)
            seconds = time.perf_counter() - started
        moved = "dealMoved" in response.headers.get("HX-Trigger", "")
        outcomes[index] = Outcome(seconds, response.status_code, moved)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(moves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if any(outcome is None for outcome in outcomes):
        raise BenchError("A simultaneous move did not finish within two minutes.")
    return [outcome for outcome in outcomes if outcome is not None]


def run(clients: int = CLIENTS, rounds: int = ROUNDS) -> list[Row]:
    planner = Planner(biggest_pipeline(), random.Random(RANDOM_SEED))
    sessions = Sessions()
    port = free_port()
    say(f"concurrent moves: gunicorn {WORKERS} workers x {THREADS} threads on port {port}")
    server = start_gunicorn(port)
    outcomes: list[Outcome] = []
    try:
        for round_number in range(1 - WARM_UP_ROUNDS, rounds + 1):
            # Planned between rounds: each round's deals as the last round left them.
            moves = distinct_moves(planner, clients)
            found = run_round(port, moves, sessions)
            refused = [outcome for outcome in found if outcome.status != 200 or not outcome.moved]
            if refused:
                statuses = sorted({outcome.status for outcome in refused})
                raise BenchError(f"{len(refused)} simultaneous moves failed (HTTP {statuses}).")
            slowest = max(outcome.seconds for outcome in found)
            if round_number < 1:
                say(f"concurrent moves: warm-up round, slowest {duration(slowest)}")
                continue
            outcomes += found
            say(f"concurrent moves: round {round_number}/{rounds}, slowest {duration(slowest)}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    samples = [Sample(outcome.seconds) for outcome in outcomes]
    label = f"{clients} simultaneous moves through gunicorn"
    row = Row.from_samples(label, samples, target=TARGET)
    notes = (
        f"p95 {duration(row.p95)}; {WORKERS} workers x {THREADS} threads, {rounds} rounds; "
        "wall time as each client saw it"
    )
    # Timed from outside: no SQL or query count is seen.
    return [replace(row, notes=notes, sql_median=None, queries="-", max_queries=None)]
