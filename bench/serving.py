"""``python -m bench.serving``: the serving model against published loaded measurements, per source.

Prints, for every source in ``sizing/data/measurements.yml``, the median absolute percentage error
(MdAPE) of loaded throughput and of time per output token, and the share of TTFT rows at or below
saturation within 2x -- in sample (the shipped factors) and leave-one-source-out (factors refitted
without that source, then used to predict it). Targets (issue 14): throughput and TPOT MdAPE <= 20 %,
TTFT within 2x on 80 % of rows. ``--plots DIR`` writes one predicted-vs-measured PNG per source
(altair + vl-convert; docs/img/ for docs/sizing.md). ``--refit`` prints the factors a fit on every
row gives (to review before copying into ``efficiency.yml``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing.calibration import (
    Validation,
    fit,
    leave_one_source_out,
    load_measurements,
    render_summary,
    targets_met,
    validate,
)

METRIC_LABEL = {
    "throughput": "output tokens/s",
    "tpot": "time per output token (s) / 1 / tokens/s",
    "ttft": "time to first token (s)",
}


def plot(results: list[Validation], out_dir: Path) -> list[Path]:
    """One PNG per source: predicted against measured, log-log, one colour per metric kind, with the
    y = x line and the 2x band; saturated rows drawn hollow."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for group in sorted({v.row.group for v in results}):
        rs = [v for v in results if v.row.group == group]
        df = pd.DataFrame(
            {
                "measured": [v.row.measured for v in rs],
                "predicted": [v.predicted for v in rs],
                "metric": [v.kind for v in rs],
                "row": [v.row.id for v in rs],
                "saturated": ["yes" if v.saturated else "no" for v in rs],
            }
        )
        lo = min(df.measured.min(), df.predicted.min()) / 1.5
        hi = max(df.measured.max(), df.predicted.max()) * 1.5
        line = pd.DataFrame({"x": [lo, hi], "y": [lo, hi], "band": ["y = x"] * 2})
        band = pd.DataFrame({"x": [lo, hi], "lo": [lo / 2, hi / 2], "hi": [lo * 2, hi * 2]})
        scale = alt.Scale(type="log", domain=[lo, hi])
        base = (
            alt.Chart(band)
            .mark_area(opacity=0.12, color="grey")
            .encode(
                x=alt.X("x:Q", scale=scale, title="measured"),
                y=alt.Y("lo:Q", scale=scale, title="predicted"),
                y2="hi:Q",
            )
        )
        diag = alt.Chart(line).mark_line(color="grey", strokeDash=[4, 3]).encode(x="x:Q", y="y:Q")
        points = (
            alt.Chart(df)
            .mark_point(size=70, filled=True)
            .encode(
                x=alt.X("measured:Q", scale=scale),
                y=alt.Y("predicted:Q", scale=scale),
                color=alt.Color("metric:N", title="metric"),
                shape=alt.Shape("saturated:N", title="saturated"),
                tooltip=["row", "measured", "predicted"],
            )
        )
        chart = (base + diag + points).properties(
            width=380, height=320, title=f"{group}: predicted vs measured (grey band: within 2x)"
        )
        path = out_dir / f"sizing-{group}.png"
        path.write_bytes(vlc.vegalite_to_png(chart.to_dict(), scale=1.5))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__)
    p.add_argument("--quick", action="store_true", help="in-sample only (no leave-one-source-out refits)")
    p.add_argument("--plots", type=Path, help="write one predicted-vs-measured PNG per source here")
    p.add_argument("--refit", action="store_true", help="print the factors a fit on every row gives")
    args = p.parse_args(argv)
    catalog = load_catalog()
    t = time.perf_counter()
    inside = validate(catalog)
    print(render_summary(inside, f"In sample ({len(inside)} rows, shipped factors)"))
    print(f"targets met: {targets_met(inside)}  ({(time.perf_counter() - t) * 1000:.0f} ms)\n")
    if not args.quick:
        t = time.perf_counter()
        loso = leave_one_source_out(catalog)
        print(
            render_summary(
                loso, "Leave one source out (factors refitted without the source, then predicting it)"
            )
        )
        print(f"targets met: {targets_met(loso)}  ({time.perf_counter() - t:.0f} s)\n")
    if args.plots:
        for path in plot(inside, args.plots):
            print(f"wrote {path}")
    if args.refit:
        import yaml

        eff = fit(catalog, load_measurements().measurements)
        d = eff.model_dump(mode="json")
        print(
            yaml.safe_dump({k: d[k] for k in ("accelerators", "engines", "interconnects")}, sort_keys=False)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
