"""Porter's web stack on loopback ports, for the browser and API checks.

A fresh database on the private PostgreSQL that scripts/test uses (or, with own_postgres, on a
PostgreSQL of the stack's own, which a check may restart), migrated; the GitHub emulator (consent
page, webhooks to the gateway, the App's public key from a key pair made here); the Fly emulator
(one org, its org token, one existing app); webhook-gateway; dispatcher (one or more replicas) with
local workers; callback-receiver; watchdog replicas (the demo stack runs one, as scripts/dev does);
web-api with PORTER_PUBLIC_URL equal to its own URL. Every process logs to
artifacts/web-stack/<name>.log and is stopped (SIGTERM, then waited for) when the stack stops,
whatever happened; a process whose parent dies gets SIGTERM from the kernel too. A check may kill a
service (`kill`) and start it again (`restart`), and restart PostgreSQL (`restart_postgres`).

    with WebStack() as stack:
        stack.web_url, stack.github_url, stack.fly_url, stack.psql("SELECT 1")

Run as a program (scripts/web-stack), it starts the stack, writes its addresses to
artifacts/web-stack/stack.env, and runs the command given after `--` with them in the
environment, or waits for Ctrl-C.
"""

import base64
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARTIFACTS = os.path.join(ROOT, "artifacts")

# The emulated identities and secrets: throwaway values for a throwaway stack.
CLIENT_ID = "Iv1.webcheck"
APP_ID = 4242
APP_SLUG = "porter-web"
FLY_ORG = "web-check-org"
FLY_ORG_TOKEN = "FlyV1 fm2_webcheck_orgtoken_0123456789abcdef"
FLY_EXISTING_APP = "web-check-existing"


class StackError(RuntimeError):
    pass


def log(message):
    print(f"web-stack: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_dir():
    directory = os.environ.get("PORTER_BIN_DIR")
    if not directory:
        directory = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
    for name in ("web-api", "webhook-gateway", "dispatcher", "porter-emulator"):
        if not os.access(os.path.join(directory, name), os.X_OK):
            raise StackError(f"{name} not found in {directory}: build first (swift build) or set PORTER_BIN_DIR")
    return directory


def _die_with_parent():
    # PR_SET_PDEATHSIG: if this script is killed outright, its children still get SIGTERM.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def http(method, url, body=None, headers=None, timeout=10):
    """(status, text) of one request; no redirects followed, errors returned rather than raised."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


class WebStack:
    def __init__(self, name="web-stack", demo=False, dispatchers=1, watchdogs=None, own_postgres=False,
                 env=None, stand_in_agent=False):
        """`demo`: the stack `scripts/dev` runs: the emulator seeded with the demo (octo, signed in,
        owns octo/hello with an open issue), the demo agent turned on, the real local worker
        (`--unisolated` when not root) and a watchdog. `dispatchers` and `watchdogs`: how many
        replicas of each (watchdogs: one for the demo, else none). `own_postgres`: a PostgreSQL for
        this stack alone, so a check may restart it. `env`: more variables for every service.
        `stand_in_agent`: workers run the real entrypoint with Tests/Browser/stand-in-agent playing
        `claude` (steered by words in the request), `--unisolated` when not root."""
        self.name = name
        self.demo = demo
        self.dispatchers = dispatchers
        self.watchdogs = (1 if demo else 0) if watchdogs is None else watchdogs
        self.own_postgres = own_postgres
        self.extra_env = dict(env or {})
        self.stand_in_agent = stand_in_agent
        self.logs = os.path.join(ARTIFACTS, name)
        self.processes = []  # (name, Popen), in start order
        self.commands = {}  # name -> (command, env), to start a killed service again
        self.killed = set()  # names of services a check killed on purpose
        self.service_urls = {}  # name -> base URL, for the services that answer /readyz
        self.admin_url = None
        self.database = None
        self.postgres_data = None
        self.started = False

    # MARK: lifecycle

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        began = time.monotonic()
        bins = bin_dir()
        if os.path.isdir(self.logs):
            shutil.rmtree(self.logs)
        os.makedirs(self.logs)
        self.tmp = os.path.join(self.logs, "tmp")
        os.makedirs(self.tmp)
        self._secrets()
        self._database()

        ports = {name: free_port() for name in ("github", "fly", "gateway", "dispatcher", "web", "callback")}
        dispatcher_names = ["dispatcher"] + [f"dispatcher-{n}" for n in range(2, self.dispatchers + 1)]
        watchdog_names = ["watchdog"] + [f"watchdog-{n}" for n in range(2, self.watchdogs + 1)] if self.watchdogs else []
        for name in dispatcher_names[1:] + watchdog_names:
            ports[name] = free_port()
        self.github_url = f"http://127.0.0.1:{ports['github']}"
        self.fly_url = f"http://127.0.0.1:{ports['fly']}"
        self.gateway_url = f"http://127.0.0.1:{ports['gateway']}"
        self.dispatcher_url = f"http://127.0.0.1:{ports['dispatcher']}"
        self.web_url = f"http://127.0.0.1:{ports['web']}"
        self.emulator = f"{self.github_url}/_emulator"
        self.fly_org, self.fly_token, self.fly_existing_app = FLY_ORG, FLY_ORG_TOKEN, FLY_EXISTING_APP
        self.worker_log_dir = os.path.join(self.tmp, "porter-workers")

        base = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "TMPDIR": self.tmp,
            "HOST": "127.0.0.1",
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "info",
            **self.extra_env,
        }
        github = {
            "GITHUB_APP_ID": str(APP_ID),
            "GITHUB_APP_SLUG": APP_SLUG,
            "GITHUB_APP_PRIVATE_KEY_FILE": self.private_key,
            "GITHUB_API_URL": self.github_url,
            "GITHUB_URL": self.github_url,
            "FLY_API_URL": self.fly_url,
            "PORTER_PUBLIC_URL": self.web_url,
            "PORTER_ENCRYPTION_KEYS": self.encryption_keys,
        }

        self._run_once("migrate", [f"{bins}/web-api", "migrate"], base)

        self._spawn(
            "github-emulator",
            [f"{bins}/porter-emulator", "github", "--port", str(ports["github"]),
             "--app-id", str(APP_ID), "--app-slug", APP_SLUG, "--app-public-key-file", self.public_key,
             "--client-id", CLIENT_ID, "--client-secret", self.client_secret, "--oauth-consent", "page",
             "--webhook-url", f"{self.gateway_url}/webhooks/github", "--webhook-secret", self.webhook_secret]
            + (["--demo"] if self.demo else []),
            base)
        if self.demo:
            base = {**base, "PORTER_DEMO_AGENT": "1"}
        self._spawn(
            "fly-emulator",
            [f"{bins}/porter-emulator", "fly", "--port", str(ports["fly"]), "--org", FLY_ORG,
             "--token", FLY_ORG_TOKEN, "--app", FLY_EXISTING_APP],
            base)
        self._spawn(
            "webhook-gateway", [f"{bins}/webhook-gateway"],
            {**base, "PORT": str(ports["gateway"]), "GITHUB_WEBHOOK_SECRET": self.webhook_secret,
             "GITHUB_APP_SLUG": APP_SLUG})
        # No PORTER_DEFAULT_* keys: a task from someone without an account must wait for their sign-in.
        # As root, the real worker entrypoint runs the stand-in agent and a comment ends in a pull
        # request; otherwise the entrypoint cannot drop to the agent's user, and a sleeping stand-in
        # only shows that a worker starts.
        self.real_worker = os.geteuid() == 0
        worker = os.path.join(ROOT, "Tests", "Browser", "browser-worker" if self.real_worker else "sleeping-worker")
        if self.stand_in_agent:
            worker = os.path.join(ROOT, "Tests", "Browser", "browser-worker")
            if not self.real_worker:
                worker += " --unisolated"
        elif self.demo:
            worker = os.path.join(ROOT, "deploy", "worker", "local-worker")
            if not self.real_worker:
                worker += " --unisolated"
        elif not self.real_worker:
            log("not root: workers are the sleeping stand-in; the checks that need a pull request say so")
        for name in dispatcher_names:
            self._spawn(
                name, [f"{bins}/dispatcher"],
                {**base, **github, "PORT": str(ports[name]), "PORTER_RUNTIME": "local",
                 "PORTER_WORKER_COMMAND": worker,
                 "PORTER_CALLBACK_URL": f"http://127.0.0.1:{ports['callback']}"})
            self.service_urls[name] = f"http://127.0.0.1:{ports[name]}"
        self._spawn(
            "callback-receiver", [f"{bins}/callback-receiver"],
            {**base, **github, "PORT": str(ports["callback"])})
        # Workers are local processes: the watchdog looks them up in /proc on this host.
        for name in watchdog_names:
            self._spawn(name, [f"{bins}/watchdog"],
                        {**base, **github, "PORT": str(ports[name]), "PORTER_RUNTIME": "local"})
            self.service_urls[name] = f"http://127.0.0.1:{ports[name]}"
        self._spawn(
            "web-api", [f"{bins}/web-api"],
            {**base, **github, "PORT": str(ports["web"]), "PORTER_SESSION_SECRET": self.session_secret,
             "GITHUB_CLIENT_ID": CLIENT_ID, "GITHUB_CLIENT_SECRET": self.client_secret,
             # The templates, styles and OpenAPI document of this checkout (unless the caller names
             # others, for binaries built from another tree).
             "PORTER_WEB_RESOURCES": os.environ.get("PORTER_WEB_RESOURCES")
             or os.path.join(ROOT, "Services", "web-api", "Resources")})

        deadline = time.monotonic() + float(os.environ.get("PORTER_WEB_STACK_START_TIMEOUT", "120"))
        self._wait("github-emulator", deadline, lambda: http("GET", f"{self.emulator}/oauth")[0] == 200)
        self._wait("fly-emulator", deadline, lambda: self.fly("GET", f"/v1/apps/{FLY_EXISTING_APP}")[0] == 200)
        self.callback_url = f"http://127.0.0.1:{ports['callback']}"
        self.service_urls.update({"webhook-gateway": self.gateway_url, "callback-receiver": self.callback_url,
                                  "web-api": self.web_url})
        for name, url in self.service_urls.items():
            self._wait(name, deadline, lambda url=url: http("GET", f"{url}/readyz")[0] == 200)
        self.started = True
        log(f"ready in {time.monotonic() - began:.1f}s: web {self.web_url}, GitHub {self.github_url}, "
            f"Fly {self.fly_url}, logs in {os.path.relpath(self.logs, ROOT)}/")
        return self

    def _stop_workers(self):
        """Local workers outlive their dispatcher on purpose (a restart must not end running tasks), so
        the stack ends its own: every process whose environment names this stack's callback-receiver,
        with its process group (the worker's agent and git)."""
        marker = f"PORTER_CALLBACK_URL={getattr(self, 'callback_url', None) or ''}".encode()
        if marker.endswith(b"="):
            return
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as environ:
                    if marker not in environ.read().split(b"\0"):
                        continue
                group = os.getpgid(int(pid))
                if group != os.getpgid(0):
                    os.killpg(group, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue

    def stop(self):
        for name, process in reversed(self.processes):
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within 20 s of SIGTERM; killing it")
                process.kill()
                process.wait()
            if process.returncode not in (0, -signal.SIGTERM) and name not in self.killed:
                log(f"{name} exited with status {process.returncode}; see {self._log_path(name)}")
        self.processes = []
        self._stop_workers()
        if self.postgres_data:
            self._postgres("stop", "--data", self.postgres_data)
            shutil.rmtree(self.postgres_data, ignore_errors=True)
            self.postgres_data, self.database = None, None
        if self.database and self.admin_url:
            try:
                subprocess.run(
                    ["psql", self.admin_url, "-qtAc", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'],
                    check=False, capture_output=True, timeout=60)
            except Exception as error:  # noqa: BLE001 - stopping must go on
                log(f"could not drop {self.database}: {error}")
            self.database = None

    # MARK: helpers for checks

    def pid(self, name):
        """The pid of the running service `name`."""
        return dict(self.processes)[name].pid

    def kill(self, name, signum=signal.SIGKILL):
        """Sends `signum` to the service `name` (SIGKILL: as a crashed host or an OOM kill would) and
        waits for it to end."""
        process = dict(self.processes)[name]
        self.killed.add(name)
        process.send_signal(signum)
        process.wait(timeout=30)
        log(f"{name} (pid {process.pid}) ended by signal {signum}")

    def restart(self, name):
        """Starts the service `name` again, as a supervisor would after it died, and waits until it is
        ready."""
        command, env = self.commands[name]
        self.processes = [(n, p) for n, p in self.processes if n != name]
        self._spawn(name, command, env, append=True)
        self.killed.discard(name)
        if name in self.service_urls:
            self._wait(name, time.monotonic() + 120,
                       lambda: http("GET", f"{self.service_urls[name]}/readyz")[0] == 200)
        log(f"{name} started again (pid {self.pid(name)})")

    def restart_postgres(self, while_down=None):
        """Stops the stack's own PostgreSQL as a crash would (immediate: no shutdown checkpoint), calls
        `while_down()`, and starts it again: the next start recovers from its WAL."""
        if not self.postgres_data:
            raise StackError("restart_postgres needs WebStack(own_postgres=True)")
        self._postgres("stop", "--immediate", "--data", self.postgres_data)
        log("PostgreSQL stopped (immediate)")
        try:
            if while_down:
                while_down()
        finally:
            self._postgres("start", "--fast", "--port", str(self.postgres_port), "--data", self.postgres_data)
            log("PostgreSQL started again")

    def app_jwt(self):
        """A JSON Web Token for the App (RS256 with its private key), as GitHub's App endpoints want."""
        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=")
        now = int(time.time())
        signing_input = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + b"." + b64(
            json.dumps({"iat": now - 60, "exp": now + 540, "iss": str(APP_ID)}).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.private_key], input=signing_input,
                                   check=True, capture_output=True).stdout
        return (signing_input + b"." + b64(signature)).decode()

    def hook_deliveries(self):
        """GitHub's log of the App's webhook deliveries (`GET /app/hook/deliveries`), newest first."""
        status, text = http("GET", f"{self.github_url}/app/hook/deliveries?per_page=100",
                            headers={"Authorization": f"Bearer {self.app_jwt()}",
                                     "Accept": "application/vnd.github+json"})
        if status != 200:
            raise StackError(f"GET /app/hook/deliveries: {status} {text}")
        return json.loads(text)

    def ready(self, name):
        """Whether the service `name` answers /readyz with 200 (its database reachable)."""
        try:
            return http("GET", f"{self.service_urls[name]}/readyz", timeout=5)[0] == 200
        except OSError:
            return False

    def psql(self, sql):
        """The rows of `sql` on the stack's database, as psql -tA prints them."""
        result = subprocess.run(
            ["psql", self.database_url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql],
            check=True, capture_output=True, text=True, timeout=30)
        return result.stdout.strip()

    def seed(self, method, path, body=None):
        """A call to the GitHub emulator's seeding API; raises unless it answers 2xx."""
        status, text = http(method, f"{self.emulator}{path}", body)
        if not 200 <= status < 300:
            raise StackError(f"{method} /_emulator{path}: {status} {text}")
        return json.loads(text) if text.strip() else None

    def fly(self, method, path, token=FLY_ORG_TOKEN):
        """A call to the Fly emulator with the org token. The emulator enforces Fly's per-action rate
        limits, which web-api's own calls may have used up a moment ago: a 429 is waited out."""
        deadline = time.monotonic() + 30
        while True:
            status, text = http(method, f"{self.fly_url}{path}", headers={"Authorization": token})
            if status != 429 or time.monotonic() > deadline:
                return status, text
            time.sleep(1)

    def log_tail(self, name, lines=40):
        try:
            with open(self._log_path(name), encoding="utf-8", errors="replace") as file:
                return "".join(file.readlines()[-lines:])
        except OSError:
            return ""

    def environment(self):
        """The stack's addresses, for a command run against it."""
        return {
            "PORTER_WEB_URL": self.web_url,
            "PORTER_GITHUB_URL": self.github_url,
            "PORTER_FLY_URL": self.fly_url,
            "PORTER_FLY_ORG": FLY_ORG,
            "PORTER_FLY_TOKEN": FLY_ORG_TOKEN,
            "PORTER_GATEWAY_URL": self.gateway_url,
            "PORTER_WEB_DATABASE_URL": self.database_url,
        }

    # MARK: setup

    def _secrets(self):
        self.private_key = os.path.join(self.logs, "github-app.pem")
        self.public_key = os.path.join(self.logs, "github-app.pub.pem")
        subprocess.run(["openssl", "genrsa", "-out", self.private_key, "2048"], check=True, capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", self.private_key, "-pubout", "-out", self.public_key],
                       check=True, capture_output=True)
        os.chmod(self.private_key, 0o600)
        self.webhook_secret = secrets.token_hex(20)
        self.client_secret = secrets.token_hex(20)
        self.session_secret = secrets.token_hex(32)
        self.encryption_keys = "web1:" + base64.b64encode(secrets.token_bytes(32)).decode()

    def _postgres(self, *arguments):
        return subprocess.run([os.path.join(ROOT, "scripts", "postgres"), *arguments],
                              check=True, capture_output=True, text=True, timeout=120).stdout

    def _database(self):
        url = None if self.own_postgres else os.environ.get("PORTER_TEST_DATABASE_URL")
        if self.own_postgres:
            # Under the system's temporary folder, not artifacts/: as root the server runs as the
            # `postgres` user, who may not be able to reach a checkout in a private folder.
            self.postgres_port = free_port()
            self.postgres_data = os.path.join(
                os.environ.get("TMPDIR", "/tmp"), f"porter-{self.name}-pg-{self.postgres_port}")
            shutil.rmtree(self.postgres_data, ignore_errors=True)
            out = self._postgres("start", "--fast", "--port", str(self.postgres_port), "--data", self.postgres_data)
            url = next(line.split("=", 1)[1] for line in out.splitlines() if "PORTER_PG_URL=" in line)
        elif not url:
            port = os.environ.get("PORTER_TEST_PG_PORT", "54329")
            tmp = os.environ.get("TMPDIR", "/tmp")
            out = subprocess.run(
                [os.path.join(ROOT, "scripts", "postgres"), "start", "--fast", "--port", port,
                 "--data", f"{tmp}/porter-test-pg-{port}"],
                check=True, capture_output=True, text=True).stdout
            url = next(line.split("=", 1)[1] for line in out.splitlines() if "PORTER_PG_URL=" in line)
        # The server's maintenance database, whatever database the given URL names.
        head, _, tail = url.rpartition("/")
        query = "?" + tail.split("?", 1)[1] if "?" in tail else ""
        self.admin_url = f"{head}/postgres{query}"
        self._drop_stale_databases()
        self.database = f"porter_web_{os.getpid()}_{secrets.token_hex(3)}"
        subprocess.run(["psql", self.admin_url, "-qtAc", f'CREATE DATABASE "{self.database}"'],
                       check=True, capture_output=True, timeout=60)
        self.database_url = f"{head}/{self.database}{query}"

    def _drop_stale_databases(self):
        """Databases of stacks whose process is gone (killed before it could clean up)."""
        names = subprocess.run(
            ["psql", self.admin_url, "-qtAc", "SELECT datname FROM pg_database WHERE datname LIKE 'porter_web_%'"],
            check=True, capture_output=True, text=True, timeout=60).stdout.split()
        for name in names:
            pid = name.split("_")[2] if name.count("_") >= 3 else ""
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                subprocess.run(["psql", self.admin_url, "-qtAc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                               check=False, capture_output=True, timeout=60)

    def _log_path(self, name):
        return os.path.join(self.logs, f"{name}.log")

    def _run_once(self, name, command, env):
        with open(self._log_path(name), "wb") as out:
            result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=120)
        if result.returncode != 0:
            raise StackError(f"{name} failed ({result.returncode}):\n{self.log_tail(name)}")

    def _spawn(self, name, command, env, append=False):
        self.commands[name] = (command, env)
        out = open(self._log_path(name), "ab" if append else "wb")
        try:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        finally:
            out.close()
        self.processes.append((name, process))

    def _wait(self, name, deadline, ready):
        process = dict(self.processes)[name]
        while True:
            if process.poll() is not None:
                raise StackError(f"{name} exited with status {process.returncode} before it was ready:\n"
                                 f"{self.log_tail(name)}")
            try:
                if ready():
                    return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise StackError(f"{name} was not ready in time:\n{self.log_tail(name)}")
            time.sleep(0.2)


def stop_on_signals():
    """SIGTERM and SIGHUP end the program through SystemExit, so `with WebStack()` stops the stack."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def main(argv):
    stop_on_signals()
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    with WebStack() as stack:
        env_file = os.path.join(stack.logs, "stack.env")
        with open(env_file, "w") as file:
            for key, value in stack.environment().items():
                file.write(f"{key}='{value}'\n")
        if command:
            return subprocess.run(command, env={**os.environ, **stack.environment()}).returncode
        log(f"addresses in {os.path.relpath(env_file, ROOT)}; Ctrl-C stops the stack")
        try:
            while all(process.poll() is None for _, process in stack.processes):
                time.sleep(1)
        except KeyboardInterrupt:
            return 0
        for name, process in stack.processes:
            if process.poll() is not None:
                log(f"{name} exited with status {process.returncode}:\n{stack.log_tail(name)}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
