"""scripts/dev.py and the lock files it installs from."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vietlao.versions import KEY_PACKAGES, key_versions

ROOT = Path(__file__).resolve().parents[1]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", re.M)


def _dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "scripts" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins(lock: Path) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file; every pin must carry at least one hash."""
    text = lock.read_text(encoding="utf-8")
    found = {canonicalize_name(m[1]): m[2] for m in _PIN.finditer(text)}
    requirement_lines = [line for line in text.splitlines() if line and not line[0].isspace() and not line.startswith("#")]
    assert len(found) == len(requirement_lines), f"{lock}: a requirement without a hash"
    return found


def test_the_lock_pins_every_dependency_pyproject_lists():
    dev = _dev()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = pins(dev.VENV_LOCK)
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():  # all of them: main and test use them
        wanted += extra
    for line in wanted:
        req = Requirement(line)
        if canonicalize_name(req.name) == "vietlao":
            continue  # the package's own extras, expanded above
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is in pyproject.toml but not in {dev.VENV_LOCK.name}: run `python3 scripts/dev.py lock`"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req} but the lock pins {locked[name]}"


def test_the_label_studio_lock_pins_the_server():
    dev = _dev()
    name, version = dev.LS_REQUIREMENT.split("==")
    assert pins(dev.LS_LOCK)[name] == version


def test_the_locks_name_the_command_that_refreshes_them():
    dev = _dev()
    for lock in (dev.VENV_LOCK, dev.LS_LOCK):
        assert "#    python3 scripts/dev.py lock" in lock.read_text(encoding="utf-8")
    assert "python3 scripts/dev.py lock" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_set_up_installs_the_locks_with_hashes_then_the_package_without_deps(tmp_path, monkeypatch, capsys):
    dev = _dev()
    commands = []
    monkeypatch.setattr(dev, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(dev, "LS_VENV", tmp_path / ".venv-ls")
    monkeypatch.setattr(dev.venv, "EnvBuilder", lambda **kw: type("B", (), {"create": lambda self, env: Path(env, "bin").mkdir(parents=True)})())
    monkeypatch.setattr(dev, "_run", lambda *cmd, **kw: commands.append([str(c) for c in cmd]))
    monkeypatch.setattr(dev, "ensure_chromium", lambda: None)  # apt-get, not pip
    dev.setup(with_label_studio=True)
    pip = [c[c.index("install") + 1:] for c in commands]
    bootstrap = ["--disable-pip-version-check", "-q", "--require-hashes", "--no-deps", "-r", str(dev.PIP_LOCK)]
    assert pip == [
        bootstrap,
        ["--disable-pip-version-check", "-q", "--require-hashes", "-r", str(dev.VENV_LOCK)],
        ["--disable-pip-version-check", "-q", "--no-deps", "-e", str(dev.ROOT)],
        bootstrap,
        ["--disable-pip-version-check", "-q", "--require-hashes", "-r", str(dev.LS_LOCK)],
    ]
    commands.clear()
    dev.setup(with_label_studio=True)  # stamped: nothing to do
    assert commands == []


def test_main_tells_how_to_put_vietlao_on_the_path(monkeypatch, capsys):
    dev = _dev()
    monkeypatch.setattr(dev, "setup", lambda with_label_studio: None)
    monkeypatch.setattr(dev.subprocess, "run", lambda *a, **kw: type("Done", (), {"returncode": 0})())
    assert dev.main(["main"]) == 0
    assert "source .venv/bin/activate" in capsys.readouterr().out


def test_recorded_versions_are_the_locked_ones():
    """The environment the tests run in is the locked one (scripts/dev.py installs it)."""
    locked = pins(_dev().VENV_LOCK)
    installed = key_versions()
    assert set(installed) == set(KEY_PACKAGES)
    for name, version in installed.items():
        assert version == locked[canonicalize_name(name)], f"{name} {version} installed, {locked[canonicalize_name(name)]} locked"


def test_the_installer_is_pinned_with_a_hash_and_new_enough():
    """The pip that installs the locks is itself pinned and hash-checked: the bundled 23.x reads a
    dependency's extra (smart-open[http]) as an unpinned requirement under --require-hashes."""
    from packaging.version import Version

    dev = _dev()
    locked = pins(dev.PIP_LOCK)
    assert list(locked) == ["pip"]
    assert Version(locked["pip"]) >= Version("24.1")


def test_a_failed_set_up_step_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    dev = _dev()
    monkeypatch.setattr(dev, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(dev.venv, "EnvBuilder", lambda **kw: type("B", (), {"create": lambda self, env: Path(env, "bin").mkdir(parents=True)})())
    assert dev.main(["main"]) == 1  # the venv's python does not exist: pip cannot run
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dev.py: error: set-up step failed"), err
