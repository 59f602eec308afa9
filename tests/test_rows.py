"""vietlao.dataset.rows: the Arrow schemas written without ``datasets`` are exactly what
``datasets.Features`` makes of the same feature specs."""

from __future__ import annotations

import subprocess
import sys

from vietlao.dataset.rows import ARROW_SCHEMAS, FEATURE_SPECS, FEATURES


def test_arrow_schemas_are_what_datasets_makes_of_the_specs():
    assert ARROW_SCHEMAS.keys() == FEATURES.keys() == FEATURE_SPECS.keys()
    for config, features in FEATURES.items():
        assert features.to_dict() == FEATURE_SPECS[config], config
        assert ARROW_SCHEMAS[config].equals(features.arrow_schema, check_metadata=True), config
        assert ARROW_SCHEMAS[config].metadata == features.arrow_schema.metadata, config


def test_the_streaming_build_does_not_import_datasets():
    code = "import sys, vietlao.dataset.stream, vietlao.dataset.batches; sys.exit('datasets' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
