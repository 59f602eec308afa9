"""The ML backend under concurrent ``/predict`` requests: how the CRF tagger is shared.

A ``pycrfsuite.Tagger`` holds the sentence it works on, so the threads of the server cannot share
one as they are (``shared``, the old code: wrong answers and HTTP 500). Two safe ways are measured
(:class:`vietlao.assist.model_preannotate.CrfTaggers`):

* ``lock``: one tagger, one sentence at a time;
* ``pool``: an idle tagger per call, opened on the same model file (at most the server's
  ``MAX_WORKERS`` at once).

The CRF pre-annotation model is trained on the gold once; the backend (the Flask app of
``vietlao ls backend`` on Werkzeug's threaded server, 127.0.0.1, a free port) is started for each
mode. First every request is sent alone (the reference answers); then ``--threads`` client threads
send ``--rounds`` rounds each of the same requests, long texts (12 corpus sentences joined, ~900
tokens) and short ones (one sentence) mixed. Reported per mode: wall seconds, requests per second,
latency percentiles of short and long requests, HTTP errors, answers that differ from the reference,
and the server process's CPU seconds.

    .venv/bin/python benchmarks/perf/ml_backend_concurrency.py             # prints the table
    .venv/bin/python benchmarks/perf/ml_backend_concurrency.py --write     # and writes ML_BACKEND.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _tasks(export: list[dict], n: int) -> list[dict]:
    sentences = [t["data"] for t in export]
    tasks = []
    for i, data in enumerate(sentences[:n]):
        tasks.append({"id": 2 * i, "kind": "short", "data": data})
        text = " ".join(s["text"] for s in sentences[i : i + 12])[:9_000]
        tasks.append({"id": 2 * i + 1, "kind": "long", "data": dict(data, text=text)})
    return tasks


def _measure(mode: str, model, trainer_args, tasks: list[dict], threads: int, rounds: int) -> dict:
    import httpx
    from werkzeug.serving import make_server

    from vietlao.assist.ml_backend import Trainer
    from vietlao.assist.ml_server import create_app
    from vietlao.assist.model_preannotate import CrfTaggers

    class Shared(CrfTaggers):
        """The old code: every thread on the CRF's one tagger."""

        def tag(self, xseq):
            return self.tag_on(self.crf.tagger_, xseq)

    model.taggers = Shared(model.ner) if mode == "shared" else CrfTaggers(model.ner, mode)
    trainer = Trainer("crf", *trainer_args, None, debounce=600)
    trainer.model = model
    server = make_server("127.0.0.1", 0, create_app(trainer), threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.port}/predict"

    def body(t: dict) -> dict:
        return {"tasks": [{"id": t["id"], "data": t["data"]}]}

    try:
        with httpx.Client(timeout=600) as client:
            reference = {t["id"]: client.post(url, json=body(t)).json() for t in tasks}
        latencies: dict[str, list[float]] = {"short": [], "long": []}
        errors, wrong, lock = [], [], threading.Lock()

        def worker(n: int) -> None:
            mine = [t for i, t in enumerate(tasks) if i % threads == n % len(tasks)] or [tasks[n % len(tasks)]]
            mine += [tasks[(n * 7 + 1) % len(tasks)]]
            with httpx.Client(timeout=600) as client:
                for _ in range(rounds):
                    for t in mine:
                        start = time.perf_counter()
                        r = client.post(url, json=body(t))
                        took = time.perf_counter() - start
                        with lock:
                            if r.status_code != 200:
                                errors.append(r.status_code)
                            elif r.json() != reference[t["id"]]:
                                wrong.append(t["id"])
                            latencies[t["kind"]].append(took)

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        cpu, wall = _cpu(), time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    finally:
        server.shutdown()
        serving.join()
    requests = sum(len(v) for v in latencies.values())  # every request, answered 200 or not

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values or [float("nan")])[0]

    return {
        "mode": mode, "requests": requests, "seconds": wall, "per_second": requests / wall,
        "short_p50": pct(latencies["short"], 50), "short_p95": pct(latencies["short"], 95),
        "long_p50": pct(latencies["long"], 50), "long_p95": pct(latencies["long"], 95),
        "errors": len(errors), "wrong": len(wrong), "cpu": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=24, help="short and long texts each (default: %(default)s)")
    parser.add_argument("--modes", default="shared,lock,pool")
    parser.add_argument("--write", action="store_true", help="write ML_BACKEND.md next to this script")
    args = parser.parse_args(argv)
    os.environ.setdefault("VIETLAO_ROOT", str(ROOT))
    from vietlao.assist.model_preannotate import train
    from vietlao.corpus.inventory import load_inventory
    from vietlao.evaluation.evaluate import load_gold
    from vietlao.tables import markdown_table

    every = "train,validation,test"
    gold = (load_gold("ner", every), load_gold("stance", every), load_inventory())
    model = train("crf", *gold)
    export = json.loads((ROOT / "annotations" / "export.json").read_text(encoding="utf-8"))
    tasks = _tasks(export, args.texts)
    rows = []
    for mode in args.modes.split(","):
        r = _measure(mode, model, gold, tasks, args.threads, args.rounds)
        rows.append([r["mode"], r["requests"], f"{r['seconds']:.1f}", f"{r['per_second']:.1f}",
                     round(r["short_p50"] * 1000), round(r["short_p95"] * 1000), round(r["long_p50"] * 1000),
                     round(r["long_p95"] * 1000), r["errors"], r["wrong"], f"{r['cpu']:.1f}"])
        print(rows[-1], file=sys.stderr, flush=True)
    table = markdown_table(["mode", "requests", "seconds", "requests/s", "short p50 ms", "short p95 ms",
                            "long p50 ms", "long p95 ms", "HTTP errors", "wrong answers", "CPU s"], rows)
    command = "benchmarks/perf/ml_backend_concurrency.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = os.getloadavg()[0]
    report = "\n\n".join([
        "# The ML backend under concurrent requests",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `.venv/bin/python {command.strip()}`: "
        f"{args.threads} client threads, {args.rounds} rounds, {args.texts} short and {args.texts} long texts "
        f"(one task per request). Machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load:.1f} at the end (the machine is shared).",
        table,
        "`shared` is the code before the fix (one tagger for every thread); `lock` and `pool` are the two "
        "modes of `vietlao.assist.model_preannotate.CrfTaggers`. Wrong answers: answers with HTTP status 200 that differ "
        "from the one the same request got alone. CPU s: the benchmark process's user + system time over the "
        "concurrent part (server and client threads share the process).",
    ]) + "\n"
    print(report)
    if args.write:
        (HERE / "ML_BACKEND.md").write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
