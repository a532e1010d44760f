"""docker-compose.yml stays true to the entrypoints and settings of `make run` (static checks)."""

import re
import shlex

import pytest
import yaml
from stack_env import OWN_NAMES, PROJECTS, SHOP_OWN_NAMES
from support.stack import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
ENTRYPOINT = (REPO / "scripts" / "entrypoint.sh").read_text()


def environment_read_by_the_code() -> set[str]:
    """Every variable the settings, the shop settings and the entrypoint's environment read."""
    sources = [
        *REPO.glob("*/config/settings.py"),
        *REPO.glob("project_a/shop/*settings*.py"),
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


def test_every_variable_compose_sets_is_read_by_the_code():
    read = environment_read_by_the_code()
    for name, service in COMPOSE["services"].items():
        if name == "db":
            continue
        unknown = set(service.get("environment", {})) - read
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


def test_the_steps_compose_uses_are_steps_the_entrypoint_has():
    steps = set(re.findall(r"^\s+(\w+)\)", ENTRYPOINT, flags=re.M))
    assert {"setup", "seed", "serve"} <= steps
