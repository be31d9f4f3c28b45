"""Build a whole deterministic PagerDuty account from one seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.formats import IdFactory
from pagerduty_standin.account.vocabulary import TEAM_NAMES
from pagerduty_standin.generate.incidents import generate_incidents
from pagerduty_standin.generate.services import (
    generate_custom_fields,
    generate_priorities,
    generate_services,
    generate_teams,
)
from pagerduty_standin.generate.users import generate_licenses, generate_users


def generate_dataset(
    *,
    seed: int = 1,
    incident_count: int = 5000,
    user_count: int = 300,
    service_count: int = 20,
    now: datetime | None = None,
    subdomain: str = "demo",
    team_count: int | None = None,
) -> Dataset:
    """Build a whole account: teams, services, priorities, users, licenses and incidents.

    Each kind of object has its own random stream derived from the seed, so changing the number
    of incidents does not change the users, and vice versa. `now` anchors every generated time;
    pass it to get byte-identical data across runs.
    """
    now_epoch = int((now or datetime.now(UTC)).timestamp())
    user_count = max(1, user_count)
    service_count = max(1, service_count)
    incident_count = max(0, incident_count)
    team_count = team_count or max(2, min(len(TEAM_NAMES) * 3, user_count // 40 + 2))

    ids = IdFactory(random.Random(f"{seed}:ids"))
    account_id = ids.next_id()
    teams = generate_teams(random.Random(f"{seed}:teams"), ids, team_count)
    services = generate_services(
        random.Random(f"{seed}:services"), ids, service_count, len(teams), subdomain, now_epoch
    )
    priorities = generate_priorities(ids)
    users = generate_users(random.Random(f"{seed}:users"), ids, user_count, len(teams), now_epoch)
    licenses = generate_licenses(ids, users)
    custom_fields = generate_custom_fields(ids)
    dataset = Dataset(
        ids=ids,
        seed=seed,
        now=now_epoch,
        subdomain=subdomain,
        account_id=account_id,
        teams=teams,
        services=services,
        priorities=priorities,
        users=users,
        licenses=licenses,
        custom_fields=custom_fields,
    )
    generate_incidents(random.Random(f"{seed}:incidents"), dataset, incident_count)
    return dataset
