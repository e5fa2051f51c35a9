"""`sao worker`: the Huey consumer that runs background and periodic jobs."""

from huey.contrib.djhuey.management.commands.run_huey import Command as RunHueyCommand


class Command(RunHueyCommand):
    help = ("Run the background job consumer (Huey): the recompute queue, SMS, fault checks, "
            "report counts and exports. Same options as run_huey.")
