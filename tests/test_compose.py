"""The compose files stay true to the entrypoints and settings of `make run` (static checks).

`make test-compose` runs them for real (tests/compose/).
"""

import re
import shlex

import pytest
import yaml
from stack_env import OWN_NAMES, PROJECTS, SHOP_OWN_NAMES
from support.stack import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
PROD = yaml.safe_load((REPO / "docker-compose.prod.yml").read_text())
ENTRYPOINT = (REPO / "scripts" / "entrypoint.sh").read_text()
NGINX_START = (REPO / "deploy" / "nginx" / "start.sh").read_text()
NGINX_TEMPLATE = (REPO / "deploy" / "nginx" / "sso.conf.template").read_text()
# Read by Python's ssl module and by requests, not by our code: the CA bundle of deploy/tls.py.
RUNTIME_NAMES = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}


def environment_read_by_the_code() -> set[str]:
    """Every variable the settings, the shop settings and the entrypoint's environment read."""
    sources = [
        *REPO.glob("*/config/settings.py"),
        *REPO.glob("project_a/shop/*settings*.py"),
        *REPO.glob("shared_settings/stack_settings/*.py"),
        *REPO.glob("deploy/*.py"),
        REPO / "scripts" / "bootstrap.py",
    ]
    names: set[str] = set()
    for source in sources:
        names |= set(
            re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", source.read_text())
        )
        names |= set(
            re.findall(
                r"""environ(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]*)["']""", source.read_text()
            )
        )
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", ENTRYPOINT))
    # The stack-wide names scripts/stack_env.py maps onto each project's own.
    names |= {
        f"{prefix}_{name}"
        for prefix, _ in PROJECTS.values()
        for name in ("URL", "PORT", *OWN_NAMES, *SHOP_OWN_NAMES)
    }
    return names


def test_compose_file_parses_with_the_expected_services():
    assert {"db", "bootstrap", "setup", "identity_server", "project_a", "project_b"} <= set(
        COMPOSE["services"]
    )


@pytest.mark.parametrize("name", ["identity_server", "project_a", "project_b"])
def test_servers_run_the_entrypoint_serve_step_of_their_project(name):
    """Each server runs `scripts/entrypoint.sh <its project> serve`, like `make run`."""
    service = COMPOSE["services"][name]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["scripts/entrypoint.sh"]' in dockerfile
    assert service["command"] == [name, "serve"]
    assert (REPO / name / "manage.py").exists()


def test_one_shot_services_call_scripts_that_exist_and_gate_the_servers():
    """bootstrap and setup run existing scripts; servers start only after setup completed."""
    bootstrap = COMPOSE["services"]["bootstrap"]["entrypoint"]
    assert (REPO / bootstrap[1]).exists()
    setup_script = " ".join(COMPOSE["services"]["setup"]["command"])
    for word in shlex.split(setup_script.replace(";", " ")):
        if word.startswith("scripts/"):
            assert (REPO / word).exists(), word
    assert re.search(r"entrypoint\.sh \$\$p setup", setup_script)
    assert re.search(r"entrypoint\.sh \$\$p seed", setup_script)
    for name in ("identity_server", "project_a", "project_b"):
        gate = COMPOSE["services"][name]["depends_on"]["setup"]["condition"]
        assert gate == "service_completed_successfully"
    assert COMPOSE["services"]["setup"]["depends_on"]["bootstrap"]["condition"] == (
        "service_completed_successfully"
    )


@pytest.mark.parametrize("compose", [COMPOSE, PROD], ids=["dev", "prod"])
def test_every_variable_compose_sets_is_read_by_the_code(compose):
    read = environment_read_by_the_code() | RUNTIME_NAMES
    for name, service in compose["services"].items():
        if name in ("db", "nginx"):
            continue
        unknown = set(service.get("environment", {})) - read
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


def test_dev_runs_the_worker_a_mail_catcher_and_redis_for_all():
    """The events worker runs; the IdP mails the catcher; every server caches in Redis."""
    services = COMPOSE["services"]
    assert services["worker"]["command"] == ["identity_server", "manage", "deliver_events"]
    assert (REPO / services["mail"]["entrypoint"][1]).exists()
    env = services["identity_server"]["environment"]
    assert services["mail"]["command"][:2] == ["--listen", "127.0.0.1:${MAIL_PORT:-1025}"]
    assert env["IDP_EMAIL_URL"] == "smtp://127.0.0.1:${MAIL_PORT:-1025}"
    assert env["CACHE_URL"].startswith("redis://127.0.0.1:")


def test_prod_puts_two_identity_server_replicas_behind_nginx_over_https():
    """Both replicas run the same command on their own port; nginx's upstream names both;
    every public URL is https; the proxy is trusted; no demo accounts."""
    services = PROD["services"]
    replicas = [services["identity_server_1"], services["identity_server_2"]]
    assert all(replica["command"] == ["identity_server", "serve"] for replica in replicas)
    ports = {replica["environment"]["IDP_PORT"] for replica in replicas}
    assert ports == {"${IDP_1_PORT:-8010}", "${IDP_2_PORT:-8020}"}
    upstream = re.search(r"upstream identity_server \{(.*?)\n\}", NGINX_TEMPLATE, flags=re.S)
    assert "${IDP_1_PORT}" in upstream[1] and "${IDP_2_PORT}" in upstream[1]
    env = replicas[0]["environment"]
    for name in ("IDP_URL", "SHOP_A_URL", "SHOP_B_URL"):
        assert env[name].startswith("https://"), name
    assert env["TRUSTED_PROXIES"] and env["SEED_DEMO_USERS"] == "0" and env["DEBUG"] == "0"
    assert services["worker"]["command"] == ["identity_server", "manage", "deliver_events"]


def test_nginx_gets_every_port_its_template_uses_and_hides_the_metrics():
    """start.sh fills in exactly the names the template uses, all set by the compose file."""
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", NGINX_TEMPLATE))
    filled = set(re.search(r'names="([^"]*)"', NGINX_START)[1].split())
    assert used == filled
    assert filled <= set(PROD["services"]["nginx"]["environment"])
    tls = (REPO / "deploy" / "nginx" / "tls.conf").read_text()
    assert re.search(r"location \^~ /metrics \{\s*return 404;", tls)
    assert NGINX_TEMPLATE.count("include /etc/nginx/sso/tls.conf;") == NGINX_TEMPLATE.count(
        "listen "
    )


def test_the_steps_compose_uses_are_steps_the_entrypoint_has():
    steps = set(re.findall(r"^\s+(\w+)\)", ENTRYPOINT, flags=re.M))
    assert {"setup", "seed", "serve"} <= steps
