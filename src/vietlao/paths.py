"""Where the project's files are: the one place their paths are written down.

The project root is the folder that holds ``annotations/``, ``dataset/`` and ``benchmarks/``. It is
``$VIETLAO_ROOT`` when that is set (``vietlao --root DIR`` sets it), else the current directory, so
the installed package never looks for the repository next to its own files: run ``vietlao`` from a
checkout (or a copy of one) or name it. Nothing is read or resolved when this module is imported;
:func:`project` resolves the root each time it is called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The environment variable that names the project root.
ROOT_ENV = "VIETLAO_ROOT"


@dataclass(frozen=True)
class Project:
    """The paths of one checkout of the project, under ``root``."""

    root: Path

    @property
    def annotations(self) -> Path:
        return self.root / "annotations"

    @property
    def documents(self) -> Path:
        """The texts, verbatim, and their metadata."""
        return self.annotations / "documents"

    @property
    def metadata(self) -> Path:
        return self.documents / "metadata.json"

    @property
    def inventory(self) -> Path:
        """The canonical entity inventory."""
        return self.annotations / "entities.yaml"

    @property
    def export(self) -> Path:
        """The Label Studio JSON export: the source of truth for the dataset."""
        return self.annotations / "export.json"

    @property
    def label_config(self) -> Path:
        return self.annotations / "label_config.xml"

    @property
    def guidelines(self) -> Path:
        """The annotation guidelines, shown as the Label Studio project's instructions."""
        return self.annotations / "GUIDELINES.md"

    @property
    def passes(self) -> Path:
        """The annotators' sheets, one folder per pass."""
        return self.annotations / "passes"

    @property
    def dataset(self) -> Path:
        """The built Hugging Face dataset."""
        return self.root / "dataset"

    @property
    def card(self) -> Path:
        return self.root / "DATASET_CARD.md"

    @property
    def benchmarks(self) -> Path:
        return self.root / "benchmarks"

    @property
    def results(self) -> Path:
        """The committed benchmark results."""
        return self.benchmarks / "results"

    @property
    def results_table(self) -> Path:
        return self.results / "RESULTS.md"

    @property
    def benchmark_run(self) -> Path:
        """Where ``vietlao benchmark`` writes a run that does not replace the results (git-ignored)."""
        return self.root / "build" / "benchmark"

    @property
    def embedding_cache(self) -> Path:
        """Encoder vectors cached by the benchmark (git-ignored)."""
        return self.root / ".cache" / "embeddings"

    @property
    def protected(self) -> tuple[Path, ...]:
        """The project's inputs and published files: no command writes into them unless that is its
        documented job (``build`` writes ``dataset/`` and the card, ``ls pull`` the export, …)."""
        return (self.annotations, self.dataset, self.card, self.results, self.root / "README.md")

    @property
    def ls_venv(self) -> Path:
        """The Label Studio environment (kept apart from the package's)."""
        return self.root / ".venv-ls"

    @property
    def ls_data(self) -> Path:
        """Label Studio's database and media (git-ignored)."""
        return self.root / ".ls-data"


def project_root() -> Path:
    """``$VIETLAO_ROOT`` if set, else the current directory, made absolute."""
    named = os.environ.get(ROOT_ENV)
    return Path(named).absolute() if named else Path.cwd()


def shown(path: Path | str) -> str:
    """``path`` relative to the project root when it is inside it (the same on every machine), else as given."""
    try:
        return str(Path(path).resolve().relative_to(project().root.resolve()))
    except ValueError:
        return str(path)


def project(root: Path | str | None = None) -> Project:
    """The paths of the project at ``root`` (default: :func:`project_root`)."""
    return Project(Path(root).absolute() if root is not None else project_root())
