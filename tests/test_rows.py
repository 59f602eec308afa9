"""vietlao.dataset.rows: the Arrow schemas written without ``datasets`` are exactly what
``datasets.Features`` makes of the same feature specs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from datasets import Features

from vietlao.corpus.metadata import LANGUAGES
from vietlao.dataset.rows import ARROW_SCHEMAS, FEATURE_SPECS, FEATURES, arrow_schema, entities_spec

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


def test_arrow_schemas_are_what_datasets_makes_of_the_specs():
    assert ARROW_SCHEMAS.keys() == FEATURES.keys() == FEATURE_SPECS.keys()
    for config, features in FEATURES.items():
        assert features.to_dict() == FEATURE_SPECS[config], config
        assert ARROW_SCHEMAS[config].equals(features.arrow_schema, check_metadata=True), config
        assert ARROW_SCHEMAS[config].metadata == features.arrow_schema.metadata, config


@pytest.mark.parametrize("languages", [("nb", "id", "vi", "ru"), LANGUAGES, ("lo",)])
def test_the_entities_schema_is_what_datasets_makes_of_its_spec(languages):
    spec = entities_spec(languages)
    features = Features.from_dict(spec)
    assert features.to_dict() == spec
    assert arrow_schema(spec).equals(features.arrow_schema, check_metadata=True)
    assert list(spec["forms"]) == list(spec["mentions_per_lang"]) == list(languages)


def test_the_arrow_writer_does_not_import_datasets():
    code = "import sys, vietlao.dataset.batches; sys.exit('datasets' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
