"""Run the local PagerDuty stand-in until Ctrl-C (the `make run` demo points the app at it)."""

import signal
import threading
from argparse import ArgumentParser
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pagerduty_standin import (
    DEFAULT_API_KEY,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    StandinOptions,
    StandinServer,
)


def stop_on_sigterm(signal_number: int, frame: FrameType | None) -> None:
    """`make run` stops its background processes with SIGTERM; treat it like Ctrl-C."""
    raise KeyboardInterrupt


def parse_now(value: str) -> datetime:
    """`--now` pins the generated data; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now must be an ISO 8601 date/time, not {value!r}.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Serve a generated PagerDuty account (REST API v2 subset and Scoped OAuth) on one port, "
        "with PagerDuty's real limits and optional injected faults."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--incidents", type=int, default=5000)
        parser.add_argument("--users", type=int, default=300)
        parser.add_argument("--services", type=int, default=20)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--now",
            type=parse_now,
            default=None,
            help="Anchor the generated data at this time (same seed + sizes + now = same data)",
        )
        parser.add_argument("--subdomain", default="demo")
        parser.add_argument("--region", choices=("us", "eu"), default="us")
        parser.add_argument(
            "--api-key",
            dest="api_keys",
            nargs="+",
            action="extend",
            default=None,
            help=f"Accepted REST API keys (default {DEFAULT_API_KEY})",
        )
        parser.add_argument(
            "--client-id",
            default=None,
            help="OAuth client id (default: settings.PAGERDUTY_CLIENT_ID, else the stand-in's)",
        )
        parser.add_argument(
            "--client-secret",
            default=None,
            help="OAuth client secret (default: settings.PAGERDUTY_CLIENT_SECRET, else the stand-in's)",
        )
        parser.add_argument(
            "--redirect-uri",
            dest="redirect_uris",
            nargs="+",
            action="extend",
            default=None,
            help="Registered OAuth redirect URIs (default: accept any http(s) URI)",
        )
        parser.add_argument("--auto-approve", action="store_true", help="Skip the consent page")
        parser.add_argument(
            "--withhold-scope",
            dest="withhold_scopes",
            nargs="+",
            action="extend",
            default=None,
            help="Scopes never granted, to show the app's missing-scope handling",
        )
        parser.add_argument("--access-token-ttl", type=int, default=86_400, help="seconds")
        parser.add_argument("--rate-limit-per-minute", type=int, default=960, help="0 disables")
        parser.add_argument("--rate-limit-headers-probability", type=float, default=0.95)
        parser.add_argument("--error-rate", type=float, default=0.0)
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument("--malformed-rate", type=float, default=0.0)
        parser.add_argument("--log-requests", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("error_rate", "malformed_rate", "rate_limit_headers_probability"):
            if not 0.0 <= options[name] <= 1.0:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1.")
        standin_options = StandinOptions(
            host=options["host"],
            port=options["port"],
            seed=options["seed"],
            incident_count=options["incidents"],
            user_count=options["users"],
            service_count=options["services"],
            now=options["now"],
            subdomain=options["subdomain"],
            region=options["region"],
            api_keys=tuple(options["api_keys"] or (DEFAULT_API_KEY,)),
            oauth_client_id=options["client_id"]
            or getattr(settings, "PAGERDUTY_CLIENT_ID", None)
            or DEFAULT_OAUTH_CLIENT_ID,
            oauth_client_secret=options["client_secret"]
            or getattr(settings, "PAGERDUTY_CLIENT_SECRET", None)
            or DEFAULT_OAUTH_CLIENT_SECRET,
            oauth_redirect_uris=tuple(options["redirect_uris"] or ()),
            oauth_auto_approve=options["auto_approve"],
            withhold_scopes=tuple(options["withhold_scopes"] or ()),
            access_token_ttl_seconds=options["access_token_ttl"],
            rate_limit_per_minute=options["rate_limit_per_minute"],
            rate_limit_headers_probability=options["rate_limit_headers_probability"],
            error_rate=options["error_rate"],
            latency_ms=options["latency_ms"],
            malformed_rate=options["malformed_rate"],
            log_requests=options["log_requests"],
        )
        try:
            server = StandinServer(standin_options)
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {standin_options.host}:{standin_options.port}: {error}"
            ) from error
        summary = server.dataset.summary()
        self.stdout.write(self.style.SUCCESS(f"PagerDuty stand-in listening on {server.url}"))
        self.stdout.write(
            f"  account {summary['subdomain']} ({summary['account_id']}): "
            f"{summary['users']} users, {summary['services']} services, "
            f"{summary['incidents']} incidents (seed {standin_options.seed})"
        )
        self.stdout.write(f"  REST API key(s): {', '.join(standin_options.api_keys)}")
        self.stdout.write(f"  OAuth client id: {standin_options.oauth_client_id}")
        self.stdout.write(f"  OAuth client secret: {standin_options.oauth_client_secret}")
        self.stdout.write(
            f"  point the app at it: PAGERDUTY_API_URL={server.url} "
            f"PAGERDUTY_IDENTITY_URL={server.url}"
        )
        self.stdout.write(f"  test controls: {server.url}/_control/summary (Ctrl-C stops)")
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop_on_sigterm)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopping the PagerDuty stand-in.")
        finally:
            server.stop()
