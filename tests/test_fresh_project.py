"""The README's "add SSO to any Django project", followed literally on a fresh startproject.

Every step's code is read from README.md: the code block after each `<!-- fresh-project:NAME -->`
marker, so the README and this test cannot drift apart. Only what a reader fills in is replaced:
the identity server's URL (the live stack's), the project's port (a free one), where this
repository is, and the client credentials that step 2 prints. It runs in the main .venv (Django
6.1, sso_client installed editable) and in each virtualenv `make matrix-venvs` made (Django 5.2 on
the oldest Python found, Django 6.1 on Python 3.12), which hold the wheel `make dist` built.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import textwrap
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from client_matrix import ENTRIES
from packaging.requirements import Requirement
from support.stack import REPO, Stack, free_port, wait_for
from support.web import WebClient
from wait_ready import wait_ready

MAIN_VENV = REPO / ".venv"
MAIN_DJANGO = next(
    line
    for line in (REPO / "requirements.in").read_text().splitlines()
    if line.startswith("Django")
)
LOG_DIR = REPO / "test-output" / "e2e" / "logs"
MARKED_BLOCK = re.compile(
    r"<!-- fresh-project:(?P<name>[a-z]+) -->\n"
    r"(?P<indent> *)```[a-z]*\n(?P<code>.*?)\n(?P=indent)```",
    re.DOTALL,
)
# What a reader of the README fills in: its placeholders, in the README's spelling.
README_IDP = "http://localhost:8000"
README_PORT = "8003"
README_REPO = "/path/to/this-repo"


def readme_snippets(*, idp: str, port: int) -> dict[str, str]:
    """Return the README's marked code blocks by name, with the reader's values filled in."""
    blocks = {
        match["name"]: textwrap.dedent(match["code"])
        for match in MARKED_BLOCK.finditer((REPO / "README.md").read_text())
    }
    assert set(blocks) == {"install", "register", "settings", "urls", "run"}, set(blocks)
    return {
        name: code.replace(README_IDP, idp)
        .replace(README_PORT, str(port))
        .replace(README_REPO, str(REPO))
        for name, code in blocks.items()
    }


def shell_commands(block: str) -> list[list[str]]:
    """Split a README shell block into commands: continued lines joined, comments dropped."""
    lines = block.replace("\\\n", " ").splitlines()
    return [words for words in (shlex.split(line, comments=True) for line in lines) if words]


def run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, timeout=300, **kwargs
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass(frozen=True)
class FreshSite:
    url: str
    django_version: str


@pytest.fixture(
    scope="module",
    # Each virtualenv, with the Django range it must hold (requirements.in's for the main one).
    params=[(MAIN_VENV, MAIN_DJANGO), *((entry.venv, entry.django) for entry in ENTRIES)],
    ids=["main-venv", *(entry.name for entry in ENTRIES)],
)
def fresh_site(
    request: pytest.FixtureRequest, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FreshSite]:
    """A `startproject` made into an SSO client by the README's steps, served by runserver."""
    venv, django_range = request.param
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{venv} is missing: `make matrix-venvs` (run by `make test`) creates it")
    port = free_port()
    url = f"http://localhost:{port}"
    snippets = readme_snippets(idp=stack.idp, port=port)

    # 1. The wheel `make dist` builds, under the name the README gives.
    make_dist, pip_install = shell_commands(snippets["install"])
    pyproject = tomllib.loads((REPO / "shared_client" / "pyproject.toml").read_text())
    version = pyproject["project"]["version"]
    assert make_dist == ["make", "dist"]
    assert pip_install == [
        "pip",
        "install",
        str(REPO / "dist" / f"sso_client-{version}-py3-none-any.whl"),
    ]
    if venv != MAIN_VENV:  # the main .venv holds sso_client editable, for development
        run([python, "-m", "pip", "install", "--disable-pip-version-check", *pip_install[2:]])
    django_version = run([python, "-m", "django", "--version"]).stdout.strip()
    assert Requirement(django_range).specifier.contains(django_version), django_version
    project_dir = tmp_path_factory.mktemp(f"fresh-{venv.name}")
    run([venv / "bin" / "django-admin", "startproject", "mysite", project_dir])

    # 2. Registered with the documented command, which finds the dev secrets itself.
    (register,) = shell_commands(snippets["register"])
    assert register[:4] == [".venv/bin/python", "identity_server/manage.py", "oidc_client", "add"]
    idp_env = {k: v for k, v in stack.env.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    credentials = json.loads(run(register, cwd=REPO, env=idp_env).stdout)
    assert credentials["issuer"] == f"{stack.idp}/o"

    # 3. and 4. Settings and URLs.
    settings = project_dir / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + snippets["settings"])
    (project_dir / "mysite" / "urls.py").write_text(snippets["urls"])

    # 5. Migrate and run, with the credentials in the environment as the README exports them.
    export, *manage_commands = shell_commands(snippets["run"])
    assert export[0] == "export"
    assert [word.split("=")[0] for word in export[1:]] == ["SSO_CLIENT_ID", "SSO_CLIENT_SECRET"]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIRTUAL_ENV")
    }
    env.update(
        SSO_CLIENT_ID=credentials["client_id"], SSO_CLIENT_SECRET=credentials["client_secret"]
    )
    *setup, serve = manage_commands
    assert all(command[:2] == ["python", "manage.py"] for command in manage_commands)
    assert serve[2] == "runserver"
    for command in setup:
        run([python, *command[1:]], cwd=project_dir, env=env)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    label = "main-venv" if venv == MAIN_VENV else venv.name
    with (LOG_DIR / f"fresh-project-{label}.log").open("w") as log:
        # Its own session: runserver's autoreloader runs the server in a child process.
        server = subprocess.Popen(
            [str(python), *serve[1:]],
            cwd=project_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # A page that needs neither SSO nor a signed-in user: runserver's static files (DEBUG).
        ready = wait_ready([url], deadline_seconds=60, path="/static/admin/css/base.css")
        assert not ready, f"{url} did not start; see {log.name}"
        yield FreshSite(url=url, django_version=django_version)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the whole group, reloader and server
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


def sign_in_at_fresh_site(client: WebClient, site: FreshSite, idp: str, customer) -> None:
    """Open the site's page, which sends the visitor to the identity server to sign in."""
    client.get(f"{site.url}/")
    assert client.last.url.startswith(f"{idp}/account/login/"), client.last.url
    client.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )


def test_a_customer_signs_in_at_the_identity_server_and_is_back_signed_in(
    stack, fresh_site, client, customer
):
    """LOGIN_URL sends a visitor to the identity server; back at the page, their name shows."""
    sign_in_at_fresh_site(client, fresh_site, stack.idp, customer)

    assert client.last.status_code == 200
    assert client.last.url == f"{fresh_site.url}/"
    assert client.last.text == f"Signed in as {customer.full_name} <{customer.email}>", (
        f"on Django {fresh_site.django_version}"
    )


def test_one_sign_in_serves_the_shops_and_signing_out_there_ends_it_here(
    stack, fresh_site, client, customer
):
    """Shop A signs the user in without a password; its sign-out ends the site's session too."""
    sign_in_at_fresh_site(client, fresh_site, stack.idp, customer)

    at_shop = client.get(f"{stack.shop_a}/oidc/login/?next=/")
    assert at_shop.url == f"{stack.shop_a}/", "no password asked at the second site"
    client.submit(form="form[action*='/oidc/logout/']")

    # The events worker's back-channel logout reached the registered URI: the site's session
    # is over, and its next page sends the visitor to sign in.
    assert wait_for(
        lambda: client.get(f"{fresh_site.url}/").url.startswith(f"{stack.idp}/account/login/")
    )


def test_the_admin_signs_in_through_sso_and_turns_a_customer_away(
    stack, fresh_site, client, customer
):
    """The opt-in admin URLs sign in through SSO; a customer without staff rights gets a 403
    page whose "Sign out" ends the session here and at the identity server."""
    client.get(f"{fresh_site.url}/admin/")
    client.submit(
        {"username": customer.email, "password": customer.password}, form="form[method=post]"
    )

    assert client.last.status_code == 403
    assert client.last.url.startswith(f"{fresh_site.url}/admin/")
    assert "No access to the administration" in client.last.text

    signed_out = client.submit(form="form[action*='/oidc/logout/']")

    assert f"{fresh_site.url}/" in [response.url for response in signed_out.history]
    assert signed_out.url.startswith(f"{stack.idp}/account/login/"), "the IdP session is over"
