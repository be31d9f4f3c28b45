import json
from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from checks.evaluation import EvaluationError, organization_evaluate
from checks.registry import check_list
from checks.report import check_report
from tenants.selectors import organization_for_command


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Keeps the JSON shape's line breaks in --help."""


JSON_SHAPE = """
JSON shape (--json), stable; keys are always present, null when they do not apply:
  {"organization": "<slug>",
   "checks": [                                  # every check, in registry order
     {"code": "incident_closed_within_sla",     # stable identifier
      "title": "Reported incident should be closed in PagerDuty",
      "system": "PagerDuty", "category": "Incident management",
      "status": "passing|due|failing|not_applicable",
      "evaluated_at": "2026-01-31T12:00:00+00:00",       # ISO 8601, UTC
      "counts": {"passing": 0, "due": 0, "failing": 0,
                 "special_cases": 0},                    # special cases count as passing
      "failing": [ENTITY, ...],                          # by deadline, then id
      "due":     [ENTITY, ...]}]}
  ENTITY = {"entity_type": "incident|account|...", # a registered entity kind
            "pagerduty_id": "Q1ABCDEF",         # the entity's id where it comes from
            "number": 42,                       # incident number; null for other kinds
            "email": null,                      # account email; null for other kinds
            "title": "...", "deadline": "<ISO 8601>|null", "detail": "...",
            ...}                                # a kind may add keys of its own
"""


class Command(BaseCommand):
    help = (
        "Evaluate every check of one organisation now and print each check's status and counts "
        "(--json: a machine-readable report including the failing and due entities). Exit code "
        "1 if a check could not be evaluated.\n" + JSON_SHAPE
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the JSON report"
        )

    def handle(self, *args, org: str, as_json: bool, **options) -> None:
        organization = organization_for_command(org)
        try:
            organization_evaluate(organization=organization)
        except EvaluationError as error:
            raise CommandError(str(error)) from None
        report = check_report(organization=organization, checks=check_list())
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            return
        for check in report["checks"]:
            counts = check["counts"]
            self.stdout.write(
                f"{check['status']:<15} {check['code']:<32} passing {counts['passing']}, "
                f"due {counts['due']}, failing {counts['failing']} "
                f"(special cases {counts['special_cases']})"
            )
