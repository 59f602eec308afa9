"""Baselines: each module trains on gold rows and returns predictions in the scorer's JSONL format.

Every module defines ``NAME``, ``TASK`` (``ner``, ``stance`` or ``linking``), ``SEEDED`` (whether
the result depends on ``seed``: such baselines run with several seeds) and
``predict(train_rows, test_rows, seed=0) -> list[dict]`` (linking baselines also take ``kb``, the
knowledge base of :func:`vietlao.models.linking_common.knowledge_base`); a module that needs an optional extra
names it in ``EXTRA`` and says whether it is installed with ``available()``. Each runs as a module
that writes a predictions file::

    python -m vietlao.models.ner_crf --train train,validation --test test --out crf.jsonl
    vietlao evaluate --task ner --predictions crf.jsonl

The interface every baseline declares: :mod:`vietlao.models.interface`; the list of them:
:mod:`vietlao.models.registry`; the command line above: :mod:`vietlao.models.script`.
"""
