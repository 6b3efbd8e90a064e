"""A real JupyterHub on loopback for the hub tests: hub, proxy and one server per user.

The hub runs from a temporary folder: JupyterHub (``python -m jupyterhub``) with its proxy,
``configurable-http-proxy`` from npm, both on 127.0.0.1 with random free ports and random
secrets. Users log in with JupyterHub's shared-password authenticator and each gets a
single-user Jupyter server with its own home folder under ``homes/<user name>``, started as
a local process in one of two ways:

- ``unix_users=False`` (the classroom test): JupyterHub's ``SimpleLocalProcessSpawner``, every
  server as the Unix user that runs the test, as every pod on Kubernetes runs as uid 1000;
  each student's own config names the hub user as nbgrader's student id (on the Docker
  Stacks image, user ``jovyan``, nbgrader takes the hub user name by itself);
- ``unix_users=True`` (the isolation test, as root): JupyterHub's ``LocalProcessSpawner``,
  each server as the Unix user of the same name, as on a multi-user machine.

Every server reads the course's deployment config, ``deploy/nbgrader_config.py`` (course id,
exchange and its classes), from a stand-in for ``/etc/jupyter``; the exchange is a folder of
the hub's. Students' servers also read ``deploy/student-config/``, which hides nbgrader's
instructor tools as the student image does. The hub's own files (database, cookie secret)
are in ``hub/``, closed to the users. The test itself talks to the hub and to the users'
servers as a hub service whose token may manage users and reach their servers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from course import REPO
from loopback import HOST, free_port
from traitlets.config.loader import PyFileConfigLoader

DEPLOY_CONFIG = REPO / "deploy" / "nbgrader_config.py"
# The course id every server uses, as the deployment's config names it.
COURSE_ID = PyFileConfigLoader(DEPLOY_CONFIG.name, path=str(DEPLOY_CONFIG.parent)).load_config()[
    "CourseDirectory"
]["course_id"]
SINGLEUSER = Path(sys.executable).parent / "jupyterhub-singleuser"
# Requests to the hub go straight to 127.0.0.1, whatever http_proxy the environment sets.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# What a learner's server loads: nbgrader's instructor tools switched off, as in the student
# image (deploy/student-config/README.md).
STUDENT_CONFIG = REPO / "deploy" / "student-config"
SERVICE = "classroom-test"
HUB_START_TIMEOUT_S = 60
SERVER_START_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 180  # autograding a submission runs a whole notebook

HUB_CONFIG = """
c = get_config()
c.JupyterHub.ip = {host!r}
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = {host!r}
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.JupyterHub.pid_file = {pid_file!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = {proxy_pid_file!r}
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.Authenticator.allowed_users = set({users!r})
c.JupyterHub.spawner_class = {spawner!r}
c.SimpleLocalProcessSpawner.home_dir_template = {home_template!r}
c.Spawner.cmd = {cmd!r}
c.Spawner.args = {server_args!r}
c.Spawner.ip = {host!r}
c.Spawner.default_url = "/lab"
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {start_timeout}


def students_get_the_student_image(spawner):
    if spawner.user.name in {students!r}:
        spawner.environment = {{
            **spawner.environment, "JUPYTER_CONFIG_PATH": {student_config_path!r}
        }}


c.Spawner.pre_spawn_hook = students_get_the_student_image
c.JupyterHub.services = [{{"name": {service!r}, "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "classroom-test",
        "scopes": ["admin:users", "admin:servers", "access:servers", "read:users"],
        "services": [{service!r}],
    }}
]
"""


def proxy_path() -> str | None:
    """The ``configurable-http-proxy`` command: $MESATOYS_CHP, or the one on PATH."""
    candidates = [os.environ.get("MESATOYS_CHP"), shutil.which("configurable-http-proxy")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


class HubError(RuntimeError):
    """The hub or a user's server did not do what the test asked."""


class LoopbackHub:
    """JupyterHub, its proxy and the users' servers, all in ``root`` and on 127.0.0.1.

    Args:
        root: An empty temporary folder; everything the hub writes goes under it.
        students: Hub user names of the students.
        instructor: Hub user name of the instructor.
        unix_users: Start each server as the Unix user of its name (needs root and users
            whose homes are ``root/homes/<name>``), not as this process's user.
        python: The interpreter the servers run (one every user may execute).
    """

    def __init__(
        self,
        root: Path,
        students: list[str],
        instructor: str,
        *,
        unix_users: bool = False,
        python: Path | None = None,
    ) -> None:
        self.root = root
        self.students = list(students)
        self.instructor = instructor
        self.unix_users = unix_users
        self.python = Path(python or sys.executable)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.password = secrets.token_urlsafe(16)
        self.token = secrets.token_hex(24)
        self.marker = secrets.token_hex(8)  # in every server's environment, to find them
        self.exchange = root / "exchange"
        self.process: subprocess.Popen | None = None
        self.private = root / "hub"  # the hub's database and secrets: closed to users
        self.log_path = self.private / "jupyterhub.log"
        self._log = None

    # --- set-up ---------------------------------------------------------------------------

    def home(self, user: str) -> Path:
        """The user's home folder (their server's HOME and working directory)."""
        return self.root / "homes" / user

    def _write_config(self) -> Path:
        """Write jupyterhub_config.py and the servers' shared config; return the former."""
        etc = self.root / "etc-jupyter"
        etc.mkdir()
        shutil.copy(DEPLOY_CONFIG, etc / "nbgrader_config.py")
        environment = {
            "JUPYTER_CONFIG_PATH": str(etc),
            "MESATOYS_EXCHANGE": str(self.exchange),
            "MESATOYS_HUB_TEST": self.marker,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            # The servers' scripts (nbgrader runs alembic by name) come with their Python.
            "PATH": os.pathsep.join(
                [str(self.python.parent), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
        }
        server_args = ["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []
        config = HUB_CONFIG.format(
            host=HOST,
            port=self.port,
            hub_port=free_port(),
            db_url=f"sqlite:///{self.private / 'jupyterhub.sqlite'}",
            cookie_secret=str(self.private / "jupyterhub_cookie_secret"),
            pid_file=str(self.private / "jupyterhub.pid"),
            proxy=proxy_path(),
            proxy_api=f"http://{HOST}:{free_port()}",
            proxy_token=secrets.token_hex(24),
            proxy_pid_file=str(self.private / "proxy.pid"),
            password=self.password,
            users=[self.instructor, *self.students],
            home_template=str(self.root / "homes" / "{username}"),
            spawner="localprocess" if self.unix_users else "simple",
            cmd=self._server_command(),
            server_args=server_args,
            environment=environment,
            start_timeout=SERVER_START_TIMEOUT_S,
            service=SERVICE,
            service_token=self.token,
            students=self.students,
            student_config_path=os.pathsep.join([str(STUDENT_CONFIG), str(etc)]),
        )
        path = self.private / "jupyterhub_config.py"
        path.write_text(config, encoding="utf-8")
        return path

    def _server_command(self) -> list[str]:
        if self.python == Path(sys.executable):
            return [str(SINGLEUSER)]
        return [str(self.python), "-m", "jupyterhub.singleuser"]

    def start(self) -> None:
        """Start the hub (which starts its proxy) and wait until its API answers.

        The exchange root is created (mode 0755) unless the test laid it out already; the
        course's exchange classes make the rest on the first release and submission.
        """
        self.private.mkdir(mode=0o700, exist_ok=True)
        self.exchange.mkdir(mode=0o755, exist_ok=True)
        config = self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MESATOYS"))}
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["MESATOYS_HUB_TEST"] = self.marker  # inherited by the proxy
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=self.private,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + HUB_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"JupyterHub exited at start-up:\n{self.log_tail()}")
            try:
                self.hub_api("")  # the API's root answers without a token
            except urllib.error.HTTPError as error:
                if error.code in (404, 503):  # the proxy is up, the hub's route not yet
                    time.sleep(0.25)
                    continue
                raise HubError(f"JupyterHub answered {error.code}:\n{self.log_tail()}") from error
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)
            else:
                return
        raise HubError(f"JupyterHub not ready after {HUB_START_TIMEOUT_S} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of the hub's log (its proxy's included)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # --- talking to the hub and the servers ---------------------------------------------------

    def request(
        self, path: str, method: str = "GET", body: object = None, *, raw: bool = False
    ) -> object:
        """Send a request through the proxy with the service's token.

        Args:
            path: URL path on the hub's public address, e.g. ``/hub/api/users``.
            method: HTTP method.
            body: Sent as JSON if not None.
            raw: Return the body as text instead of decoding JSON.

        Returns:
            The decoded JSON response (None for an empty body), or its text with ``raw``.
        """
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with _OPENER.open(request, timeout=REQUEST_TIMEOUT_S) as response:
            text = response.read().decode("utf-8")
        if raw:
            return text
        return json.loads(text) if text else None

    def hub_api(self, path: str, method: str = "GET", body: object = None) -> object:
        """Call JupyterHub's REST API (``/hub/api`` + ``path``)."""
        return self.request(f"/hub/api{path}", method, body)

    def server(self, user: str, path: str, method: str = "GET", body: object = None) -> object:
        """Call an endpoint of ``user``'s own server (``/user/<user>`` + ``path``)."""
        return self.request(f"/user/{user}{path}", method, body)

    def status_of(self, user: str, path: str) -> int:
        """The HTTP status that ``user``'s server answers to GET ``path``."""
        try:
            self.request(f"/user/{user}{path}", raw=True)
        except urllib.error.HTTPError as error:
            return error.code
        return 200

    def spawn(self, *users: str) -> None:
        """Start the users' servers (all at once) and wait until each one answers."""
        for user in users:
            self.hub_api(f"/users/{user}/server", method="POST")
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        waiting = set(users)
        while waiting and time.monotonic() < deadline:
            for user in sorted(waiting):
                server = self.hub_api(f"/users/{user}").get("servers", {}).get("")
                if server is None:  # the spawn failed and the hub dropped the server
                    raise HubError(f"{user}'s server failed to start:\n{self.log_tail()}")
                if server.get("ready"):
                    waiting.discard(user)
            time.sleep(0.25)
        if waiting:
            raise HubError(f"servers of {sorted(waiting)} not ready:\n{self.log_tail()}")

    # --- nbgrader, through each user's server ---------------------------------------------

    def assignments(self, user: str, action: str | None = None, **data: str) -> list[dict]:
        """nbgrader's Assignments tab on ``user``'s server: list, or fetch/submit/...

        Args:
            user: Hub user name.
            action: None to list, else ``fetch``, ``submit`` or ``fetch_feedback``.
            **data: ``assignment_id`` for an action.

        Returns:
            The assignments the server lists for the course afterwards.
        """
        if action is None:
            answer = self.server(user, f"/assignments?course_id={COURSE_ID}")
        else:
            body = {"course_id": COURSE_ID, **data}
            answer = self.server(user, f"/assignments/{action}", method="POST", body=body)
        if isinstance(answer, dict) and not answer.get("success", False):
            raise HubError(f"{user}: assignments {action}: {answer.get('value', answer)}")
        return answer["value"] if isinstance(answer, dict) else answer

    def formgrader(self, path: str, method: str = "GET") -> object:
        """Call the formgrader's API on the instructor's server; fail on an error result."""
        answer = self.server(self.instructor, f"/formgrader/api{path}", method=method)
        if isinstance(answer, dict) and answer.get("success") is False:
            raise HubError(f"formgrader {path}: {answer.get('error') or answer.get('log')}")
        return answer

    def read_file(self, user: str, path: str) -> dict:
        """A file of ``user``'s home, through their server's contents API."""
        quoted = urllib.parse.quote(path)
        return self.server(user, f"/api/contents/{quoted}?content=1")

    def write_notebook(self, user: str, path: str, notebook: dict) -> None:
        """Save a notebook into ``user``'s home, as JupyterLab does on Save."""
        quoted = urllib.parse.quote(path)
        body = {"type": "notebook", "format": "json", "content": notebook}
        self.server(user, f"/api/contents/{quoted}", method="PUT", body=body)

    # --- shutting down ------------------------------------------------------------------------

    def leftover_pids(self) -> list[int]:
        """Processes still running that this hub started (they carry its marker).

        Linux only: reads ``/proc/<pid>/environ``, which needs the same user.
        """
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if f"MESATOYS_HUB_TEST={self.marker}".encode() in environ:
                found.append(int(entry.name))
        return found

    def stop(self) -> list[int]:
        """Stop every server, then the hub (which stops its proxy).

        Returns:
            The processes that were still running after that and had to be killed
            (empty when the hub shut down cleanly).
        """
        if self.process is None:
            return []
        if self.process.poll() is None:
            for user in [self.instructor, *self.students]:
                try:
                    self.hub_api(f"/users/{user}/server", method="DELETE")
                except (urllib.error.URLError, OSError):
                    pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._wait_for_no_leftovers(timeout=15)
        killed = self.leftover_pids()
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
        return killed

    def _wait_for_no_leftovers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.leftover_pids() and time.monotonic() < deadline:
            time.sleep(0.2)
