"""Locust users for `bench.web_load`: signed-in members browsing the main pages.

Environment: BENCH_ORG_SLUG, BENCH_USER_COUNT, BENCH_SESSION_KEYS, BENCH_INCIDENT_IDS and
BENCH_CHECK_CODES (comma separated).
"""

import itertools
import os
import random

from locust import HttpUser, between, task

ORG = os.environ.get("BENCH_ORG_SLUG", "")
INCIDENT_IDS = [value for value in os.environ.get("BENCH_INCIDENT_IDS", "").split(",") if value]
CHECK_CODES = [value for value in os.environ.get("BENCH_CHECK_CODES", "").split(",") if value]
USER_COUNT = int(os.environ.get("BENCH_USER_COUNT", "50"))
SESSION_KEYS = os.environ.get("BENCH_SESSION_KEYS", "").split(",")
_next_user = itertools.count()


class Member(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        """Signed in ahead by bench.web_load (one session per member)."""
        number = next(_next_user) % USER_COUNT
        self.client.cookies.set("sessionid", SESSION_KEYS[number])

    @task(4)
    def incident_list(self) -> None:
        self.client.get(f"/o/{ORG}/incidents/", name="incidents")

    @task(2)
    def incident_list_filtered(self) -> None:
        status = random.choice(["triggered", "acknowledged", "resolved"])
        self.client.get(f"/o/{ORG}/incidents/?status={status}", name="incidents ?status")

    @task(1)
    def incident_search(self) -> None:
        self.client.get(
            f"/o/{ORG}/incidents/?q=Incident+{random.randint(1, 9999)}", name="incidents ?q"
        )

    @task(3)
    def incident_page(self) -> None:
        self.client.get(f"/o/{ORG}/incidents/{random.choice(INCIDENT_IDS)}/", name="incident page")

    @task(3)
    def monitoring(self) -> None:
        self.client.get(f"/o/{ORG}/monitoring/", name="monitoring")

    @task(2)
    def check_detail(self) -> None:
        self.client.get(f"/o/{ORG}/monitoring/{random.choice(CHECK_CODES)}/", name="check page")

    @task(1)
    def dashboard(self) -> None:
        self.client.get(f"/o/{ORG}/", name="dashboard")
