"""The container files (Dockerfile, .dockerignore, compose.yaml, .env.example) against the code
they deploy: the settings model, the CLI, the web server's routes and a real `papers-bot run`.

Everything here runs without Docker. Two tests use Docker when it is there: `docker build`
(and the built image run) needs a daemon that answers `docker info`, `docker compose config`
needs the compose plugin; each skips with the reason otherwise, also in CI, which has no
Docker engine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import make_url

from bot import __version__
from bot.cli import build_parser
from bot.cli import run as run_command
from bot.config import Settings, load_settings
from bot.store.engine import async_url
from bot.web import WebServer
from tests.app.process import BotProcess
from tests.deploy import dockerfile
from tests.fakes.source import FakeSource

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
COMPOSE_FILE = PROJECT_ROOT / "compose.yaml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"

SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)
DEFAULT_HTTP_PORT = Settings.model_fields["http_port"].default

#: `${NAME}` or `${NAME:-default}`, the only interpolations compose.yaml uses.
_INTERPOLATION = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
#: A setting in .env.example: commented out, `# NAME=value`, the value without spaces.
_EXAMPLE_SETTING = re.compile(r"# ([A-Z][A-Z0-9_]*)=(\S*)")


def pyproject() -> dict[str, Any]:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def image_stages() -> list[dockerfile.Stage]:
    return dockerfile.stages(dockerfile.parse(DOCKERFILE.read_text(encoding="utf-8")))


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_builds_a_wheel_and_installs_the_package_only_from_it() -> None:
    build, *_, final = image_stages()
    project = pyproject()["project"]
    for stage in (build, final):
        version = re.fullmatch(r"python:(\d+)\.(\d+)-slim", stage.base)
        assert version is not None, f"not a slim Python base: {stage.base}"
        minimum = re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"])
        assert minimum is not None
        assert tuple(map(int, version.groups())) >= tuple(map(int, minimum.groups()))

    wheel = " ".join(step.args for step in build.all("RUN"))
    assert "pip wheel" in wheel
    assert "'.[postgres]'" in wheel
    assert "postgres" in project["optional-dependencies"]

    # The final stage never sees the sources: it installs what the build stage made.
    assert all("--from=" in step.args for step in final.all("COPY") + final.all("ADD"))
    (install,) = [step for step in final.all("RUN") if "pip install" in step.args]
    assert f"from={build.name}" in install.args
    assert "--no-index" in install.args
    assert f"'{project['name']}[postgres]'" in install.args


def test_the_final_stage_runs_the_bot_unprivileged_with_its_data_in_a_volume() -> None:
    final = image_stages()[-1]
    # The last USER is the one the container runs as.
    assert final.last("USER").args.split(":")[0] not in {"root", "0"}

    command = final.last("CMD").exec_form()
    assert command == ["papers-bot", "run"]
    assert pyproject()["project"]["scripts"]["papers-bot"] == "bot.cli:main"
    assert build_parser().parse_args(command[1:]).handler is run_command.run
    assert not final.all("ENTRYPOINT")
    assert final.last("STOPSIGNAL").args == "SIGTERM"

    assert str(DEFAULT_HTTP_PORT) in final.last("EXPOSE").words()
    data_dir = final.env()["DATA_DIR"]
    assert data_dir == "/data"
    assert data_dir in final.last("VOLUME").words()


def test_the_build_context_is_exactly_what_the_dockerfile_copies() -> None:
    """Everything is ignored but what a COPY names, so .env and .venv never reach a build."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    admitted = {line[1:].rstrip("/") for line in patterns if line.startswith("!")}
    copied: set[str] = set()
    for stage in image_stages():
        for step in stage.all("COPY") + stage.all("ADD"):
            words = step.words()
            if any(word.startswith("--from=") for word in words):
                continue
            sources = [word for word in words if not word.startswith("--")][:-1]
            copied.update(source.removeprefix("./").rstrip("/") for source in sources)
    assert copied == admitted
    assert all((PROJECT_ROOT / name).exists() for name in admitted)
    assert ".env" not in admitted


def test_the_dockerfile_reader_refuses_what_it_cannot_follow() -> None:
    """The checks above are only as good as the reader: a typo or a broken JSON form fails."""
    with pytest.raises(dockerfile.DockerfileError, match="unknown instruction 'RUNN'"):
        dockerfile.parse("FROM python:3.11-slim\nRUNN pip install x\n")
    broken = dockerfile.parse('FROM python:3.11-slim\nCMD ["papers-bot", "run"\n')
    with pytest.raises(dockerfile.DockerfileError, match="bad JSON"):
        dockerfile.stages(broken)[0].last("CMD").exec_form()
    with pytest.raises(dockerfile.DockerfileError, match="continued"):
        dockerfile.parse("FROM python:3.11-slim\nRUN true \\\n")


# --- the image's health check ---------------------------------------------------------------


async def run_healthcheck(port: int) -> tuple[int, str]:
    """The Dockerfile's HEALTHCHECK command as Docker runs it, with this interpreter as the
    image's `python` and HTTP_PORT set as the container's environment would set it."""
    _, command = dockerfile.healthcheck(image_stages()[-1].last("HEALTHCHECK"))
    program, *args = command
    assert program == "python"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, "HTTP_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, stderr.decode()


def assert_one_line_failure(code: int, stderr: str) -> None:
    assert code == 1
    assert stderr.startswith("/livez: ")
    assert stderr.count("\n") == 1, stderr


async def test_the_healthcheck_asks_a_route_the_web_server_serves() -> None:
    server = WebServer(CollectorRegistry(), host="127.0.0.1", port=0)
    port = await server.start()
    try:
        assert await run_healthcheck(port) == (0, "")
    finally:
        await server.stop()

    # A server without that route fails the check: the path is what is being checked.
    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        code, stderr = await run_healthcheck(int(runner.addresses[0][1]))
    finally:
        await runner.cleanup()
    assert_one_line_failure(code, stderr)
    assert "404" in stderr


async def test_the_healthcheck_follows_a_running_bot_until_sigterm_stops_it(
    fake_source: FakeSource, tmp_path: Path
) -> None:
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "SOURCES": "hf",
        "HF_API_URL": fake_source.hf_url,
        "HTTP_RETRIES": "0",
    }
    bot = await BotProcess.start(env, tmp_path)
    try:
        port = await bot.wait_for_port()
        assert await run_healthcheck(port) == (0, "")
        assert await bot.stop(signal.SIGTERM) == 0
    finally:
        await bot.kill()
    assert any("SIGTERM received: stopping gracefully" in line for line in bot.stderr), bot.log
    assert not any("Traceback" in line for line in bot.stderr), bot.log
    assert_one_line_failure(*await run_healthcheck(port))


# --- compose.yaml ---------------------------------------------------------------------------


def compose_file() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """What compose makes of `${NAME}` / `${NAME:-default}` with `env` as .env holds it."""
    result = _INTERPOLATION.sub(lambda match: env.get(match[1]) or match[2] or "", value)
    assert "$" not in result, f"an interpolation this test does not know: {value!r}"
    return result


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def test_compose_starts_the_bot_once_its_postgres_is_healthy() -> None:
    compose = compose_file()
    services = compose["services"]
    bot = services["bot"]
    assert bot["build"] == "."
    assert (PROJECT_ROOT / bot["build"] / "Dockerfile").is_file()
    ((db_name, dependency),) = bot["depends_on"].items()
    assert dependency == {"condition": "service_healthy"}
    db = services[db_name]
    assert db["image"] == "postgres:16" or db["image"].startswith("postgres:16.")
    assert db["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    for service in (bot, db):
        assert service["restart"] in {"always", "unless-stopped", "on-failure"}

    mounts = {
        name: dict(volume.split(":", 1) for volume in service["volumes"])
        for name, service in services.items()
    }
    for volumes in mounts.values():
        assert set(volumes) <= set(compose["volumes"]), "every volume is a named one"
    assert image_stages()[-1].env()["DATA_DIR"] in mounts["bot"].values()
    assert "/var/lib/postgresql/data" in mounts[db_name].values()


def test_compose_gives_the_bot_real_settings_and_its_own_database() -> None:
    services = compose_file()["services"]
    bot = services["bot"]
    assert bot["env_file"] == ".env"
    environment = bot["environment"]
    assert isinstance(environment, dict)
    assert set(environment) <= SETTING_NAMES
    assert {match[0] for text in strings(bot) for match in _INTERPOLATION.findall(text)} <= (
        SETTING_NAMES
    )

    # Unset in .env: the compose database, reached by its service name.
    (db_name,) = bot["depends_on"]
    db_env = services[db_name]["environment"]
    url = interpolate(environment["DATABASE_URL"], {"DATABASE_URL": ""})
    parsed = make_url(url)
    assert (parsed.drivername, parsed.host, parsed.username, parsed.database) == (
        "postgresql",
        db_name,
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_DB"],
    )
    assert async_url(load_settings(database_url=url).resolved_database_url).drivername == (
        "postgresql+asyncpg"
    )
    # Set in .env: the operator's own database wins.
    elsewhere = "postgresql://bot@pg.example:5432/papers"
    assert interpolate(environment["DATABASE_URL"], {"DATABASE_URL": elsewhere}) == elsewhere

    # The published port is the one the bot listens on, by default and when .env moves it.
    assert [interpolate(port, {}) for port in bot["ports"]] == [
        f"{DEFAULT_HTTP_PORT}:{DEFAULT_HTTP_PORT}"
    ]
    assert [interpolate(port, {"HTTP_PORT": "9000"}) for port in bot["ports"]] == ["9000:9000"]


# --- .env.example ---------------------------------------------------------------------------


def env_example() -> dict[str, str]:
    """The settings .env.example shows, by name; it sets none (every line is a comment)."""
    found: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        match = _EXAMPLE_SETTING.fullmatch(line)
        if match is None:
            assert not line or line.startswith("#"), f"line {number} is not a comment: {line!r}"
            continue
        assert match[1] not in found, f"line {number}: {match[1]} again"
        found[match[1]] = match[2]
    return found


def test_env_example_names_every_setting_and_nothing_else() -> None:
    shown = set(env_example())
    assert not shown - SETTING_NAMES, f"not settings: {sorted(shown - SETTING_NAMES)}"
    assert not SETTING_NAMES - shown, f"missing: {sorted(SETTING_NAMES - shown)}"


def test_env_example_copied_as_it_is_changes_nothing() -> None:
    defaults = load_settings()
    shutil.copy(ENV_EXAMPLE, Path.cwd() / ".env")  # the test runs in its own empty folder
    copied = load_settings()
    assert copied == defaults
    assert copied.is_dry_run


def test_env_example_shows_each_setting_at_its_default() -> None:
    """Uncommented, every value shown loads as the default; a setting shown blank is one
    whose default is unset (a blank line would set it to an empty value)."""
    defaults = load_settings()
    shown = env_example()
    given = {name: value for name, value in shown.items() if value}
    (Path.cwd() / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in given.items()), encoding="utf-8"
    )
    loaded = load_settings()
    for name in shown:
        field = name.lower()
        if name in given:
            assert getattr(loaded, field) == getattr(defaults, field), name
        else:
            assert getattr(defaults, field) in (None, []), f"{name} is shown blank"


# --- with Docker ----------------------------------------------------------------------------


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def docker_missing(*probe: str) -> str | None:
    """Why `docker <probe>` cannot be used here, or None when it answers."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        answer = docker(*probe, timeout=30)
    except subprocess.TimeoutExpired:
        return f"`docker {' '.join(probe)}` did not answer within 30 s"
    if answer.returncode != 0:
        first = (answer.stderr.strip().splitlines() or ["no output"])[0]
        return f"`docker {' '.join(probe)}` failed: {first}"
    return None


@pytest.mark.timeout(1800)
def test_the_image_builds_runs_unprivileged_and_stops_cleanly() -> None:
    reason = docker_missing("info")
    if reason is not None:
        pytest.skip(f"no Docker daemon: {reason}")
    tag = f"papers-bot-test:{uuid.uuid4().hex[:12]}"
    built = docker("build", "--tag", tag, str(PROJECT_ROOT), timeout=1500)
    assert built.returncode == 0, built.stderr[-4000:]
    try:
        version = docker("run", "--rm", tag, "papers-bot", "--version")
        assert version.stdout.strip() == f"papers-bot {__version__}", version.stderr
        uid = docker("run", "--rm", "--entrypoint", "id", tag, "-u")
        assert uid.stdout.strip() not in {"", "0"}, uid.stderr
        probe = "import os; print(os.access(os.environ['DATA_DIR'], os.W_OK))"
        writable = docker("run", "--rm", "--entrypoint", "python", tag, "-c", probe)
        assert writable.stdout.strip() == "True", writable.stderr
        assert_container_lifecycle(tag)
    finally:
        docker("image", "rm", "--force", tag)


def assert_container_lifecycle(tag: str) -> None:
    """The container's own health check passes once the bot is up, and `docker stop`
    (SIGTERM) ends it with exit status 0."""
    started = docker("run", "--detach", "--network", "none", tag)
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip()
    try:
        _, command = dockerfile.healthcheck(image_stages()[-1].last("HEALTHCHECK"))
        deadline = time.monotonic() + 120
        while docker("exec", container, *command).returncode != 0:
            assert time.monotonic() < deadline, docker("logs", container).stderr[-4000:]
            time.sleep(1)
        docker("stop", "--time", "30", container, timeout=60)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", container).stdout.strip()
        assert code == "0", docker("logs", container).stderr[-4000:]
    finally:
        docker("rm", "--force", container)


def test_docker_compose_reads_the_files_as_an_operator_copies_them(tmp_path: Path) -> None:
    reason = docker_missing("compose", "version")
    if reason is not None:
        pytest.skip(f"no docker compose: {reason}")
    for name in (COMPOSE_FILE.name, DOCKERFILE.name):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    result = docker(
        "compose",
        "--project-directory",
        str(tmp_path),
        "--file",
        str(tmp_path / COMPOSE_FILE.name),
        "config",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    bot = json.loads(result.stdout)["services"]["bot"]
    expected_url = interpolate(compose_file()["services"]["bot"]["environment"]["DATABASE_URL"], {})
    assert bot["environment"] == {"DATABASE_URL": expected_url}
    ports = [(str(port["published"]), int(port["target"])) for port in bot["ports"]]
    assert ports == [(str(DEFAULT_HTTP_PORT), DEFAULT_HTTP_PORT)]
