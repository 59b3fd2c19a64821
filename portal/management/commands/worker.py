"""``python manage.py worker``: run background tasks (every queue by default) with heartbeat and recovery.

It is django-tasks-db's ``db_worker`` (same options) with portal.worker's safety net: a heartbeat, lost tasks found
again, passing faults retried, database outages waited out. ``--tick-every N`` also runs ``tick`` every N seconds
(``make run`` uses 60, so a development machine needs no cron); a deployment keeps tick in cron or a timer and
leaves it at 0. The worker does not reload itself on code changes: restart it.
"""

from django_tasks_db.management.commands import db_worker

from disclosures.importer.sandbox import warm_up
from portal.worker import Maintenance, RecoveringWorker, new_worker_id


class Command(db_worker.Command):
    help = "Run background tasks (all queues) with heartbeat, recovery of lost tasks and retries."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--tick-every",
            type=int,
            default=0,
            help="Also run `tick` every this many seconds (0, the default: never; cron runs it).",
        )
        parser.set_defaults(queue_name="*", reload=False, worker_id=None)

    def handle(self, *, verbosity, queue_name, exclude_queues, worker_id, tick_every, **options):
        self.configure_logging(verbosity)
        worker = RecoveringWorker(
            queue_names=queue_name.split(","),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id or new_worker_id(),
        )
        if not options["batch"]:
            warm_up()  # start the spreadsheet sandbox now, so the first import validation does not wait for it
        if verbosity:
            self.stdout.write(f"后台任务工作进程 {worker.worker_id} 已启动（队列：{queue_name}）")
        with Maintenance(worker.worker_id, tick_every=tick_every):
            worker.configure_signals()
            worker.run()
