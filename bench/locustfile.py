"""Locust users for `bench.web_load`: signed-in members browsing the main pages.

Environment: BENCH_ORG_SLUG, BENCH_PASSWORD, BENCH_USER_COUNT, BENCH_INCIDENT_IDS (comma
separated), BENCH_CHECK_CODES (comma separated).
"""

import itertools
import os
import random
import re

from locust import HttpUser, between, task

ORG = os.environ.get("BENCH_ORG_SLUG", "")
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
INCIDENT_IDS = [value for value in os.environ.get("BENCH_INCIDENT_IDS", "").split(",") if value]
CHECK_CODES = [value for value in os.environ.get("BENCH_CHECK_CODES", "").split(",") if value]
USER_COUNT = int(os.environ.get("BENCH_USER_COUNT", "50"))
_next_user = itertools.count()
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Member(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        number = next(_next_user) % USER_COUNT
        page = self.client.get("/accounts/login/", name="sign in (form)")
        token = CSRF_INPUT.search(page.text).group(1)
        response = self.client.post(
            "/accounts/login/",
            {
                "login": f"bench-web-{number}@example.com",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
        )
        if "/accounts/login/" in response.url:
            raise RuntimeError(f"bench-web-{number} could not sign in")

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
