"""The allowed import edges between the project's packages (docs/architecture.md, "Layout"), read from
the source with `ast` — every import, including those inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each package may import of the others. `audit` is reached only through its public package
# (`import audit`, `audit.record(...)`), never its modules; `config` wires everything and is free.
ALLOWED = {
    "core": set(),
    # Identity events go to the audit trail as signals (accounts.signals, heard by audit); accounts
    # uses audit only for audited outbound calls (Google sign-in: audit.http_client, oauth_client).
    "accounts": {"core", "audit"},
    "audit": {"core", "accounts"},
    "sessions_app": {"core", "accounts", "audit"},
    "partners": {"core", "accounts", "audit"},
    "chat": {"core", "accounts", "audit"},
    "organizations": {"core", "accounts", "audit"},
    # The one orchestrator (DESIGN.md): the other domain apps only through their services and tasks.
    "workflows": {"core", "accounts", "audit", "organizations", "chat", "sessions_app", "partners"},
    "growth": {"core", "accounts"},
    "business": {"core", "accounts", "audit", "organizations"},  # flags' organization allow-lists
    # Staff tools for users' privacy requests are privacy's own admin (privacy.staff), not accounts'.
    "privacy": {"core", "accounts"},
}
SERVICES_ONLY = {"workflows": {"chat", "sessions_app", "partners"}}
PUBLIC_ONLY = {"audit"}
PACKAGES = set(ALLOWED) | {"config"}


def imports(path):
    """(line, imported module) for every absolute import of one file; `from a import b` yields `a.b`
    so that importing a submodule by name counts as reaching into it."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def violations(package, root=ROOT):
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imports(path):
            target, _, rest = module.partition(".")
            if target not in PACKAGES or target == package:
                continue
            where = f"{path.relative_to(root)}:{line} imports {module}"
            if target not in ALLOWED[package]:
                found.append(where)
            elif target in SERVICES_ONLY.get(package, ()) and rest.split(".")[0] not in {"services", "tasks"}:
                found.append(where + f" (use {target}.services or {target}.tasks)")
            elif target in PUBLIC_ONLY and rest and rest.split(".")[0] not in public_names(root / target):
                found.append(where + f" (use `import {target}` and its public functions)")
    return found


def public_names(package_dir):
    """The names of a package's `__all__`: `audit.record` is public, `audit.services` is not."""
    for node in ast.parse((package_dir / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_follow_the_allowed_edges(package):
    assert violations(package) == []


def test_the_rule_sees_every_kind_of_import(tmp_path):
    """The checker itself: a forbidden edge in a nested import, a reach into audit's modules."""
    fake = tmp_path / "core"
    fake.mkdir()
    (fake / "x.py").write_text("def f():\n    from partners.models import Partner\n")
    (tmp_path / "chat").mkdir()
    (tmp_path / "chat" / "y.py").write_text("import audit\nfrom audit import record\nfrom audit.services import flush\n")
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "__init__.py").write_text("__all__ = ['record']\n")
    assert violations("core", tmp_path) == ["core/x.py:2 imports partners.models.Partner"]
    assert violations("chat", tmp_path) == [
        "chat/y.py:3 imports audit.services.flush (use `import audit` and its public functions)"
    ]
