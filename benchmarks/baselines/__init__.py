"""Baselines: each module trains on gold rows and returns predictions in the scorer's JSONL format.

Every module defines ``NAME``, ``TASK`` (``ner``, ``stance`` or ``linking``), ``SEEDED`` (whether
the result depends on ``seed``: such baselines run with several seeds) and
``predict(train_rows, test_rows, seed=0) -> list[dict]`` (linking baselines also take ``kb``, the
knowledge base of :func:`vietlao.benchmark.linking.baseline_kb`), and runs as a script that writes a
predictions file::

    python benchmarks/baselines/ner_crf.py --train train,validation --test test --out crf.jsonl
    vietlao evaluate --task ner --predictions crf.jsonl
"""

MODULES = (
    "stance_majority", "stance_tfidf", "ner_caps", "ner_gazetteer", "ner_crf", "ner_logreg",
    "link_exact", "link_normalised", "link_encoder", "link_encoder_train",
)
