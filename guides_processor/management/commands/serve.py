"""Run the whole product on one machine: the console and its workers, until Ctrl-C.

It migrates the database, creates an ``admin`` account on the first run (its generated password is
printed once), generates a demo repository when the content root is empty, starts a django-q2
cluster in a child process and serves the console with waitress in this one. Ctrl-C (or SIGTERM)
stops both: the cluster finishes its current tasks' batches, and anything left is resumed by the
watchdog on the next start.
"""

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from guides_processor import executions
from guides_processor.management.database import broker_reachable, database_opened

DEMO_FILES = 300


def _stop_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent dies (no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Start the console and its background workers (Ctrl-C stops both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.GUIDES_WORKERS,
            help="Worker processes of the task cluster (default: GUIDES_WORKERS, %(default)s).",
        )
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Do not generate demo content when the root is empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Held to what the cluster's settings accept: beyond it the cluster, started below with
        # it, would stop at once while the console ran on with no worker.
        if not 1 <= options["workers"] <= settings.WORKERS_MAXIMUM:
            raise CommandError(
                f"--workers {options['workers']} is out of range: use 1 to "
                f"{settings.WORKERS_MAXIMUM}."
            )
        # getaddrinfo takes a port beyond 65535 modulo 65536 (99999 is 34463), and 0 is any free
        # port: either way the URL printed below would not be the one served.
        if not 1 <= options["port"] <= 65535:
            raise CommandError(f"--port {options['port']} is not a port: use 1 to 65535.")
        database_opened()
        broker_reachable()
        server = _listen(options["host"], options["port"])
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_admin()
        if not options["no_demo"]:
            self._ensure_content()
        executions.executions_recover()

        env = dict(os.environ, GUIDES_WORKERS=str(options["workers"]))
        manage = Path(settings.BASE_DIR) / "manage.py"
        # The cluster runs in a session of its own, so that Ctrl-C in the terminal reaches only
        # this process, which stops the cluster once (a second signal would interrupt its
        # shutdown); and it is told to stop should this process die without stopping it.
        cluster = subprocess.Popen(
            [sys.executable, str(manage), "qcluster"],
            env=env,
            start_new_session=True,
            preexec_fn=_stop_with_parent,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Guides Asset Processor: http://{options['host']}:{options['port']}/ "
                f"(content root {settings.GUIDES_CONTENT_ROOT}; "
                f"{options['workers']} worker{'s' if options['workers'] != 1 else ''}, "
                f"cluster pid {cluster.pid}). "
                "Press Ctrl-C to stop."
            )
        )

        self._serve_until_stopped(server, cluster)

    def _serve_until_stopped(self, server: Any, cluster: "subprocess.Popen[bytes]") -> None:
        """Serve until Ctrl-C (or SIGTERM), then stop the cluster; a cluster that dies (killed,
        or stopped by an error of its own) takes the console with it, with a CommandError: a
        console without workers would accept executions that nothing processes."""

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        stopping = threading.Event()
        died: list[int] = []

        def watch() -> None:
            code = cluster.wait()
            if not stopping.is_set():
                died.append(code)
                os.kill(os.getpid(), signal.SIGTERM)

        # Both, explicitly: a process started in the background by a shell inherits SIGINT ignored.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        threading.Thread(target=watch, name="guides-cluster-watch", daemon=True).start()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            stopping.set()
            self.stdout.write("Stopping the workers...")
            if cluster.poll() is None:
                cluster.send_signal(signal.SIGTERM)
            try:
                cluster.wait(timeout=60)
            except subprocess.TimeoutExpired:
                cluster.kill()
                cluster.wait()
            self.stdout.write("Stopped.")
        if died:
            raise CommandError(
                f"The task cluster stopped (exit status {died[0]}; its log is above), so the "
                "console stopped too: nothing would have processed its executions."
            )

    def _ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            self.style.WARNING(
                "Created the account 'admin' with the password below. It is shown only this once: "
                f"keep it, or set another with `{_this_python()} manage.py changepassword admin`."
                "\n\n"
                f"    username: admin\n    password: {password}\n"
            )
        )

    def _ensure_content(self) -> None:
        root = Path(settings.GUIDES_CONTENT_ROOT)
        if root.exists() and any(root.iterdir()):
            return
        call_command("seed_demo_content", files=DEMO_FILES, dest=str(root))


def _listen(host: str, port: int) -> Any:
    """The console's server, listening on ``host:port`` before anything else starts: a port
    another server holds is one line, not a traceback after the cluster has started."""
    from waitress.server import create_server

    from guides_processor.wsgi import application

    try:
        return create_server(application, host=host, port=port, threads=8)
    except OSError as error:
        raise CommandError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}. Another server may be "
            "running there: stop it, or choose another port with --port."
        ) from None
    except ValueError:
        # What waitress raises when the host does not resolve (the port is checked before).
        raise CommandError(
            f"Cannot listen on {host}:{port}: {host} is neither an address nor a name this "
            "machine resolves. Give --host an address of this machine (0.0.0.0 for all)."
        ) from None


def _this_python() -> str:
    """The interpreter running this command as a person would type it here: relative to the
    working folder when it lies inside it (``.venv/bin/python`` after the quick start, where a
    bare ``python`` may be another Python, or none), else its whole path."""
    try:
        return str(Path(sys.executable).relative_to(Path.cwd()))
    except ValueError:
        return sys.executable
