"""`sao bench NAME`: run one of the registered benchmarks and print its figures.

Each app registers its benchmarks in BENCHMARKS as "name": "module.path:function"; the
function takes the parsed options and returns nothing (it prints its own report).
"""

from importlib import import_module

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

BENCHMARKS = {
    "ingest": "sao.devices.bench:run",
    "compute": "sao.attendance.bench:run",
    "reports": "sao.reports.bench:run",
}


class Command(BaseCommand):
    help = "Run a benchmark (ingest, compute, reports) and print its figures; never part of the test suite."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS), help="Benchmark to run.")
        parser.add_argument("--quick", action="store_true",
                            help="Run a reduced size, to check that the benchmark works.")
        parser.add_argument("--database-url", default="",
                            help="Database to measure (default: the configured one).")

    def handle(self, *args, name: str, **options):
        module_name, function_name = BENCHMARKS[name].split(":")
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            raise CommandError(
                _("Benchmark %(name)s is not available: %(error)s") % {"name": name, "error": exc}
            ) from exc
        getattr(module, function_name)(options=options, stdout=self.stdout)
