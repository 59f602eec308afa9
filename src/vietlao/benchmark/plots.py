"""The benchmark's figures: NER F1 per language, stance confusion matrices."""

from __future__ import annotations

from pathlib import Path

from vietlao.corpus.metadata import LANGUAGES


def _err(block: dict | None, key: str) -> float:
    """Error-bar length from the value to one end of its CI (0 without one)."""
    if not block or block.get(key) is None:
        return 0.0
    return max(0.0, abs(block[key] - block["value"]))


def plot_ner(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ner = [r for r in results["rows"] if r["task"] == "ner" and r.get("source") != "peers"]
    source = next((p["setting"].split(" → ")[0] for n, p in results["meta"]["protocols"].items()
                   if n.startswith("xling-")), "")
    baselines = list(dict.fromkeys(r["baseline"] for r in ner))
    panels = [
        ("leave one document out (pooled), per language",
         {r["baseline"]: r.get("per_lang", {}) for r in ner if r["protocol"] == "lodo"}),
        (f"cross-lingual: trained on {source}",
         {b: {r["protocol"].removeprefix("xling-"): r["metrics"]["f1"]
              for r in ner if r["baseline"] == b and r["protocol"].startswith("xling-")} for b in baselines}),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (title, data) in zip(axes, panels):
        langs = [x for x in LANGUAGES if any(x in d for d in data.values())]
        width = 0.8 / max(len(baselines), 1)
        for i, b in enumerate(baselines):
            blocks = [data.get(b, {}).get(lang) for lang in langs]
            xs = [j + (i - (len(baselines) - 1) / 2) * width for j in range(len(langs))]
            values = [bl["value"] if bl else 0.0 for bl in blocks]
            errors = [[_err(bl, "ci_low") for bl in blocks], [_err(bl, "ci_high") for bl in blocks]]
            ax.bar(xs, values, width, yerr=errors, capsize=3, label=b)
        ax.set_xticks(range(len(langs)), langs)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("strict entity F1 (fine types), 95% CI")
    if baselines:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def plot_stance(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["rows"] if r["task"] == "stance" and r["protocol"] == "lodo"]
    fig, axes = plt.subplots(1, max(len(rows), 1), figsize=(4.6 * max(len(rows), 1), 4), squeeze=False)
    for ax, row in zip(axes[0], rows):
        cm = row["confusion_matrix"]
        ax.imshow(cm["matrix"], cmap="Blues")
        top = max(max(line) for line in cm["matrix"]) or 1
        for i, line in enumerate(cm["matrix"]):
            for j, v in enumerate(line):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=9,
                        color="white" if v > top / 2 else "black")
        ax.set_xticks(range(len(cm["labels"])), cm["labels"], rotation=30)
        ax.set_yticks(range(len(cm["labels"])), cm["labels"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{row['baseline']} (leave one document out, n={row['n_sentences']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
