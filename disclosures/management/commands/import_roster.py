"""python manage.py import_roster FILE --village CODE --category SLUG --period YYYY-MM --phase pre|post [--dry-run]"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from disclosures.importer import ImportFileError
from disclosures.importer.report import preview_lines
from disclosures.importer.services import roster_import_file
from disclosures.models import Category, ImportStatus
from villages.models import Division


class Command(BaseCommand):
    help = (
        "Validate a roster file and print the preview; import it into the draft of the disclosure unless "
        "--dry-run or it has errors (then exit with status 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--village", required=True, help="12-digit division code of the village (or township)")
        parser.add_argument("--category", required=True, help="category slug, e.g. dibao")
        parser.add_argument("--period", required=True, help="2026-11, 2026-Q4, 2026 or 2026-11-23")
        parser.add_argument("--phase", required=True, choices=["pre", "post"])
        parser.add_argument("--sheet", default="", help="sheet name when the file has several visible sheets")
        parser.add_argument("--user", default="", help="username of the staff member importing (default: a superuser)")
        parser.add_argument("--reason", default="", help="correction reason when the roster is already published")
        parser.add_argument("--dry-run", action="store_true", help="validate and print the preview only")

    def handle(self, *args, **options):
        actor = self._actor(options["user"])
        try:
            division = Division.objects.get(code=options["village"])
        except Division.DoesNotExist:
            raise CommandError(f"找不到区划代码为 {options['village']} 的村")
        try:
            category = Category.objects.get(slug=options["category"])
        except Category.DoesNotExist:
            raise CommandError(f"找不到类别 {options['category']}")
        try:
            job, revision = roster_import_file(
                actor=actor,
                division=division,
                category=category,
                period=options["period"],
                phase=options["phase"],
                path=options["file"],
                sheet_name=options["sheet"],
                dry_run=options["dry_run"],
                reason=options["reason"],
            )
        except ImportFileError as exc:
            raise CommandError(f"无法导入：{exc}")
        except PermissionDenied:
            raise CommandError(f"{actor.get_username()} 没有导入 {division.name} 名单的权限")
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        except FileNotFoundError:
            raise CommandError(f"找不到文件 {options['file']}")
        for line in preview_lines(job):
            self.stdout.write(line)
        if job.status == ImportStatus.INVALID:
            raise CommandError(f"有 {job.result['counts']['errors']} 处错误，未导入。请修改文件后重新导入。")
        if job.status != ImportStatus.READY and revision is None:
            raise CommandError("未导入。")
        if revision is None:
            self.stdout.write(self.style.SUCCESS("校验通过（--dry-run，未导入）。"))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {revision.entry_count} 行到「{revision.disclosure}」第 {revision.number} 版（草稿）。"
            )
        )

    def _actor(self, username):
        users = get_user_model().objects.filter(is_active=True)
        if username:
            try:
                return users.get(username=username)
            except get_user_model().DoesNotExist:
                raise CommandError(f"找不到用户 {username}")
        actor = users.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            raise CommandError("请用 --user 指定执行导入的工作人员")
        return actor
