import json

from django.core.management.base import BaseCommand, CommandError

from sunshine.audit.services import ForgedEventError, audit_chain_report, check_heads, seal_pending


class Command(BaseCommand):
    help = (
        "Seal pending audit events, then verify every event's MAC and the whole keyed chain; name every forged, "
        "altered, missing or unsealed event. --heads FILE also checks a saved copy of /audit/heads.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="verify only; do not seal pending events")
        parser.add_argument("--heads", metavar="FILE", help="a saved copy of /audit/heads.json to check against")

    def handle(self, *args, **options):
        heads = self._read_heads(options["heads"]) if options["heads"] else None
        if not options["no_seal"]:
            try:
                sealed = seal_pending()
            except ForgedEventError as exc:
                self.stderr.write(str(exc))
            else:
                self.stdout.write(f"sealed {sealed} pending event(s)")
        report = audit_chain_report()
        if heads is not None:
            check_heads(report, heads, options["heads"])
        if report.problems:
            listing = "\n".join(f"- {problem}" for problem in report.problems)
            raise CommandError(f"audit chain broken, {len(report.problems)} problem(s):\n{listing}")
        checked = f", {len(heads)} saved head(s) match" if heads is not None else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.count} event(s), head #{report.head_seq} {report.head_hash}{checked}"
            )
        )

    def _read_heads(self, path):
        try:
            with open(path, encoding="utf-8") as handle:
                heads = json.load(handle)["heads"]
            return [{"seq": int(head["seq"]), "hash": str(head["hash"])} for head in heads]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read heads from {path}: {exc}") from exc
