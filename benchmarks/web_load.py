"""Load test of the programme app: concurrent link workers submitting questionnaires.

Usage (from the repository root)::

    PYTHONPATH=src python3 benchmarks/web_load.py                    # 50 workers, 60 s, SQLite
    PYTHONPATH=src python3 benchmarks/web_load.py --seconds 20 --json web_load.json
    PYTHONPATH=src python3 benchmarks/web_load.py --postgres         # a throwaway PostgreSQL
    LINKWORK_DATABASE_URL=postgresql://... PYTHONPATH=src python3 benchmarks/web_load.py

Loopback only and bounded in time. In a temporary data folder (SQLite unless
``LINKWORK_DATABASE_URL`` names an empty PostgreSQL database, or ``--postgres`` starts a
throwaway server with ``tests/_postgres.py``), the script creates
``--link-workers`` accounts spread over ``--sites`` sites, each with ``--participants`` enrolled
participants, then starts ``linkwork.web.serve`` (Django's threaded server, the production
password hasher, all middleware) in a child process on a free port of 127.0.0.1. Each of
``--workers`` threads signs in as its own link worker (cookies and the CSRF token handled as a
browser would, with ``http.client`` on one keep-alive connection) and, until ``--seconds``
have passed, opens a questionnaire form (GET) for one of its participants, waves and
instruments, and submits it with valid random answers (POST, expecting the redirect to the
participant page). It then reports submissions per second, latency percentiles of the GETs and
POSTs, the error count, and checks that every accepted submission is in the database with the
exact responses sent, and that nothing else was written.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

PASSWORD = "load-test-pass-phrase-1"
WAVES = ("T1", "T2", "T3")
SERVER = """
import sys
from linkwork import web
web.serve("127.0.0.1", int(sys.argv[1]))
"""
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(link_workers: int, participants: int, sites: int) -> dict[str, list[str]]:
    """Accounts and participants in the database; link worker name -> participant codes."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connections, transaction

    from linkwork import web

    web.setup()
    from linkwork.web.models import Participant, Profile, Site

    users = get_user_model()
    hashed = make_password(PASSWORD)  # one PBKDF2 hash, shared: setup speed only
    caseloads: dict[str, list[str]] = {}
    with transaction.atomic():
        places = [Site.objects.create(code=f"L{s}", name=f"Load site {s}") for s in range(sites)]
        enrolled = dt.date.today() - dt.timedelta(days=30)
        people = []
        for i in range(link_workers):
            name = f"lw{i:03d}"
            user = users.objects.create(username=name, password=hashed)
            site = places[i % sites]
            Profile.objects.create(user=user, role="link_worker", site=site)
            codes = [f"P{i:03d}-{j:03d}" for j in range(participants)]
            caseloads[name] = codes
            people += [
                Participant(
                    code=code, site=site, enrolled_on=enrolled, link_worker=user, age=40 + j % 40
                )
                for j, code in enumerate(codes)
            ]
        Participant.objects.bulk_create(people)
    connections.close_all()
    return caseloads


def answers(instrument: str, rng: random.Random) -> dict[str, int]:
    """Valid random answers to every item of *instrument* (from its spec)."""
    from linkwork import instruments

    spec = instruments.get(instrument)
    r = spec.response
    low = int(r.min)
    high = int(r.max) if r.bounded else low + 6
    return {item.key: rng.randint(low, high) for item in spec.items}


@dataclass
class Tally:
    """What one simulated link worker did."""

    get_seconds: list[float] = field(default_factory=list)
    post_seconds: list[float] = field(default_factory=list)
    accepted: list[tuple[str, str, str, dict[str, int]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exhausted: bool = False


class Browser:
    """One link worker's HTTP session: a keep-alive connection, cookies, the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> Any:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # the server closed the kept-alive connection: reconnect once
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, response.getheader("Location", ""), content.decode()

    def token(self, page: str) -> str:
        found = _TOKEN.search(page)
        if found is None:
            raise RuntimeError("no CSRF token in the page")
        return found.group(1)

    def sign_in(self, name: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        form = {"username": name, "password": PASSWORD, "csrfmiddlewaretoken": self.token(page)}
        status, location, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "login" in location:
            raise RuntimeError(f"sign-in of {name} failed: HTTP {status}")


def simulate(browser: Browser, codes: list[str], names: list[str], stop: float, seed: int) -> Tally:
    """Submit questionnaires with the signed-in *browser* until the monotonic time *stop*."""
    rng = random.Random(seed)
    tally = Tally()
    todo = [(c, w, i) for c in codes for w in WAVES for i in names]
    rng.shuffle(todo)
    while time.monotonic() < stop:
        if not todo:
            tally.exhausted = True
            break
        code, wave, instrument = todo.pop()
        path = f"/participants/{code}/assess/{instrument}/?wave={wave}"
        try:
            start = time.perf_counter()
            status, _, page = browser.request("GET", path)
            tally.get_seconds.append(time.perf_counter() - start)
            if status != 200:
                tally.errors.append(f"GET {path}: HTTP {status}")
                continue
            values = answers(instrument, rng)
            form: dict[str, Any] = {
                "csrfmiddlewaretoken": browser.token(page),
                "wave": wave,
                "completed_on": time.strftime("%Y-%m-%d"),
                "mode": "in_person",
                **values,
            }
            start = time.perf_counter()
            status, location, _ = browser.request("POST", path, form)
            tally.post_seconds.append(time.perf_counter() - start)
        except Exception as error:  # counted and reported
            tally.errors.append(f"{path}: {type(error).__name__}: {error}")
            continue
        if status == 302 and location.rstrip("/").endswith(code):
            tally.accepted.append((code, wave, instrument, values))
        else:
            tally.errors.append(f"POST {path}: HTTP {status} -> {location or 'no redirect'}")
    return tally


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def verify(accepted: list[tuple[str, str, str, dict[str, int]]]) -> dict[str, int]:
    """Compare the accepted submissions with the assessments in the database."""
    from django.db import connections

    from linkwork.web.models import Assessment

    stored = {
        (a.participant.code, a.wave, a.instrument): a.responses
        for a in Assessment.objects.select_related("participant")
    }
    missing = wrong = 0
    for code, wave, instrument, values in accepted:
        row = stored.get((code, wave, instrument))
        if row is None:
            missing += 1
        elif row != {k: float(v) for k, v in values.items()}:
            wrong += 1
    connections.close_all()
    return {
        "accepted": len(accepted),
        "in_database": len(stored),
        "missing": missing,
        "different": wrong,
        "unexpected": len(stored) - (len(accepted) - missing),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (default 60)")
    parser.add_argument("--workers", type=int, default=50, help="concurrent link workers")
    parser.add_argument("--participants", type=int, default=40, help="participants per worker")
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run on a throwaway PostgreSQL server (tests/_postgres.py; needs Debian postgresql)",
    )
    args = parser.parse_args(argv)
    if not args.postgres:
        return run(args)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests._postgres import create_database, postgres_server

    with postgres_server() as server:
        os.environ["LINKWORK_DATABASE_URL"] = create_database(server, "linkwork_load")
        return run(args)


def run(args: argparse.Namespace) -> int:
    """Prepare, serve, load, verify; 0 when there were no errors and the database matches."""
    data = Path(tempfile.mkdtemp(prefix="linkwork-web-load-"))
    os.environ["LINKWORK_DATA_DIR"] = str(data)
    os.environ.pop("LINKWORK_HTTPS", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "linkwork.web.settings"
    database = "postgresql" if os.environ.get("LINKWORK_DATABASE_URL") else "sqlite"
    t0 = time.perf_counter()
    caseloads = prepare(args.workers, args.participants, args.sites)
    from django.conf import settings

    names = list(settings.LINKWORK_INSTRUMENTS)
    print(
        f"prepared {args.workers} link workers x {args.participants} participants "
        f"({database}, {data}) in {time.perf_counter() - t0:.1f} s"
    )

    port = free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        ready_by = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/accounts/login/")
                probe.getresponse().read()
                probe.close()
                break
            except (OSError, http.client.HTTPException):
                if server.poll() is not None or time.monotonic() > ready_by:
                    where = data / "server.log"
                    raise RuntimeError(f"the app did not start; see {where}") from None
                time.sleep(0.1)

        results: dict[str, Tally] = {}
        start_line = threading.Barrier(args.workers + 1)

        def worker(index: int, name: str) -> None:
            browser = Browser(port)
            try:  # signing in (PBKDF2) is not part of the timed load
                browser.sign_in(name)
            except Exception as error:  # counted and reported
                results[name] = Tally(errors=[f"{name}: {error}"])
                start_line.wait()
                return
            start_line.wait()
            go.wait()
            results[name] = simulate(browser, caseloads[name], names, deadline[0], index)

        go = threading.Event()
        deadline = [0.0]
        threads = [
            threading.Thread(target=worker, args=(i, name), daemon=True)
            for i, name in enumerate(caseloads)
        ]
        for thread in threads:
            thread.start()
        start_line.wait(timeout=600)  # every worker has signed in
        deadline[0] = time.monotonic() + args.seconds
        began = time.perf_counter()
        go.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    tallies = list(results.values())
    accepted = [a for t in tallies for a in t.accepted]
    errors = [e for t in tallies for e in t.errors]
    gets = [s for t in tallies for s in t.get_seconds]
    posts = [s for t in tallies for s in t.post_seconds]
    check = verify(accepted)
    if not args.keep:  # (a PostgreSQL database is left as it is)
        shutil.rmtree(data, ignore_errors=True)
    figures = {
        "database": database,
        "workers": args.workers,
        "seconds": round(elapsed, 2),
        "submissions": len(accepted),
        "submissions_per_second": len(accepted) / elapsed,
        "requests_per_second": (len(gets) + len(posts)) / elapsed,
        "post_p50_ms": 1000 * percentile(posts, 50),
        "post_p95_ms": 1000 * percentile(posts, 95),
        "post_max_ms": 1000 * max(posts, default=float("nan")),
        "get_p50_ms": 1000 * percentile(gets, 50),
        "get_p95_ms": 1000 * percentile(gets, 95),
        "errors": len(errors),
        "workers_out_of_work": sum(t.exhausted for t in tallies),
        **{f"db_{k}": v for k, v in check.items()},
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figures, indent=2))
    for message in errors[:10]:
        print("error:", message)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    complete = check["missing"] == 0 and check["different"] == 0 and check["unexpected"] == 0
    print(
        "every accepted submission is in the database, as sent"
        if complete
        else "DATABASE MISMATCH: see db_missing / db_different / db_unexpected"
    )
    return 0 if complete and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
