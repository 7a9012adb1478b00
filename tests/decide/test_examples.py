"""Golden recommendations for the articles' scenarios (examples/*.yml).

The golden file holds what a person reviewed: platform, pattern, instance and the monthly total
per workload. Regenerate with ``pytest tests/decide/test_examples.py --update-golden`` and read
the diff before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wheretorun import load_workloads, recommend

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden") / "examples.yml"
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))


def summarise(path: Path) -> dict:
    report = recommend(load_workloads(path), file=str(path), base_dir=path.parent)
    out = {}
    for w in report.workloads:
        r = w.recommendation
        out[w.name] = {
            "platform": r.platform,
            "instance_type": r.instance_type,
            "model_platform": r.model_platform,
            "model_instance_type": r.model_instance_type,
            "pattern": r.pattern,
            "monthly_total_usd": round(float(r.monthly_cost_usd.total), 2),
        }
        if r.standalone_platform or r.standalone_model_platform:
            out[w.name]["standalone"] = r.standalone_platform or r.standalone_model_platform
    # the file's view: shared costs counted once, and what placing the workloads together saved
    folio = report.portfolio
    assert folio is not None
    out["(file)"] = {
        "total_usd": round(float(report.total_monthly_cost_usd), 2),
        "shared_usd": {c.name: round(float(c.monthly_usd), 2) for c in report.shared_costs},
        "standalone_total_usd": round(float(folio.standalone_total_usd), 2),
        "moved": folio.moved,
    }
    return out


def test_examples_match_the_reviewed_golden_file(update_golden):
    current = {p.name: summarise(p) for p in EXAMPLES}
    if update_golden or not GOLDEN.exists():
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(yaml.safe_dump(current, sort_keys=True, width=120))
        pytest.skip("golden file written: review it")
    golden = yaml.safe_load(GOLDEN.read_text())
    assert current == golden


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_explains_itself(path):
    report = recommend(load_workloads(path), file=str(path), base_dir=path.parent)
    for w in report.workloads:
        assert w.recommendation.platform != "none", w.warnings
        assert len(w.trace) >= 5
        assert w.recommendation.summary.startswith("Run ")
        assert "$" in w.recommendation.summary
        # the final step ranks the options with their totals
        assert any("ranked:" in t.because for t in w.trace)
        # a generative model's break-even volume is a step of the trace, with the figure behind it
        if w.breakeven is not None and w.breakeven.note:
            step = w.trace[-1]
            assert step.question == "At what monthly token volume does self-hosting beat Bedrock?"
            assert w.breakeven.note in step.because
