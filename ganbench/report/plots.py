"""The report's pictures, drawn with matplotlib (Agg, PNG) from the runs table's plot columns alone."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display; the report is files

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from PIL import Image

from ganbench.leaderboard import decode_series
from ganbench.metrics.spectrum import BLUR_BAND, NOISE_BAND
from ganbench.specs import Column

DPI = 72
SEED_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def spectrum(runs: pd.DataFrame) -> bytes | None:
    """RAPSD of each seed's samples vs the real data on log axes, blur and noise bands shaded: where
    the fake curve falls under the real one in the blur band, the samples are blurrier than real."""
    done = runs[runs["plot_rapsd_fake"].fillna("").astype(str).str.len() > 0] if "plot_rapsd_fake" in runs else runs[:0]
    if done.empty:
        return None
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    ax.axvspan(*BLUR_BAND, color="#4c72b0", alpha=0.12, label="blur band")
    ax.axvspan(NOISE_BAND[0], NOISE_BAND[1], color="#dd8452", alpha=0.12, label="noise band")
    first = done.iloc[0]
    ax.plot(decode_series(first["plot_frequency"]), decode_series(first["plot_rapsd_real"]), color="black",
            linewidth=2, label="real")
    for i, (_, run) in enumerate(done.iterrows()):
        ax.plot(decode_series(run["plot_frequency"]), decode_series(run["plot_rapsd_fake"]),
                color=SEED_COLOURS[i % len(SEED_COLOURS)], linewidth=1, label=f"seed {run['seed']}")
    ax.set(xscale="log", yscale="log", xlabel="frequency (cycles/px)", ylabel="normalised power")
    ax.xaxis.set_minor_formatter(NullFormatter())  # log-axis minor labels overlap on a small plot
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def curves(runs: pd.DataFrame) -> bytes | None:
    """Cheap FID over training (left, images only) and D/G losses (right), one line per seed."""
    ran = runs[runs["status"] != "skipped"]
    has_fid = any(decode_series(v) for v in ran.get("plot_fid", []))
    if ran.empty or not any(decode_series(v) for v in ran.get("plot_d_loss", [])):
        return None
    fig, axes = plt.subplots(1, 2 if has_fid else 1, figsize=(7.0 if has_fid else 3.6, 2.8), squeeze=False)
    loss_ax = axes[0][-1]
    for i, (_, run) in enumerate(ran.iterrows()):
        colour = SEED_COLOURS[i % len(SEED_COLOURS)]
        steps = decode_series(run["plot_step"])
        loss_ax.plot(steps, decode_series(run["plot_d_loss"]), color=colour, linewidth=1,
                     label=f"D, seed {run['seed']}")
        loss_ax.plot(steps, decode_series(run["plot_g_loss"]), color=colour, linewidth=1, linestyle="--",
                     label=f"G, seed {run['seed']}")
        term = decode_series(run.get("plot_g_penalty", ""))
        if term:
            loss_ax.plot(steps, term, color=colour, linewidth=1, linestyle=":", label=f"G term, seed {run['seed']}")
        if has_fid:
            axes[0][0].plot(decode_series(run["plot_fid_step"]), decode_series(run["plot_fid"]), marker="o",
                            markersize=3, color=colour, label=f"seed {run['seed']}")
    loss_ax.set(xlabel="generator step", ylabel="loss")
    loss_ax.legend(fontsize=6, frameon=False)
    if has_fid:
        axes[0][0].set(xlabel="generator step", ylabel="FID (curve samples)")
        axes[0][0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _png(fig)


# Marker colours by the comparison with the baseline (``verdicts.compared``).
COMPARED_COLOURS = {"better": "#2e7d32", "worse": "#c62828", "indistinguishable": "#546e7a",
                    "baseline": "#1565c0", "": "#9e9e9e"}


def _axis(columns: Sequence[Column], summary: pd.DataFrame, which: str) -> Column | None:
    """The measured column of highest priority for the trade-off plot's ``which`` ("x" or "y") axis."""
    found = [col for col in columns if getattr(col, f"{which}_axis") > 0 and f"{col.name}_mean" in summary
             and summary[f"{col.name}_mean"].notna().any()]
    return min(found, key=lambda col: getattr(col, f"{which}_axis")) if found else None


def _axis_label(col: Column) -> str:
    if col.best is not None:
        return f"{col.label} ({col.best:g} = as the real data)"
    return f"{col.label} ({'lower' if col.lower_is_better else 'higher'} is better)"


def tradeoff(summary: pd.DataFrame, columns: Sequence[Column]) -> tuple[bytes, str] | None:
    """Every entry's mean on the table's two plot axes (``Column.x_axis``/``y_axis``: structure
    against sharpness on images, modes against sample quality on points), ± its std over seeds where
    the metric has one, coloured by how it compares with the baseline; and the plot's title."""
    x, y = _axis(columns, summary, "x"), _axis(columns, summary, "y")
    if x is None or y is None:
        return None
    xm, ym = f"{x.name}_mean", f"{y.name}_mean"
    shown = summary[summary[xm].notna() & summary[ym].notna()]
    fig, ax = plt.subplots(figsize=(11.0, 6.5))
    compared = shown["compared"].fillna("") if "compared" in shown else pd.Series("", index=shown.index)
    for how, colour in COMPARED_COLOURS.items():
        part = shown[compared == how]
        if part.empty:
            continue
        xerr = part[f"{x.name}_std"] if f"{x.name}_std" in part else None
        yerr = part[f"{y.name}_std"] if f"{y.name}_std" in part else None
        ax.errorbar(part[xm], part[ym], xerr=xerr, yerr=yerr, fmt="o", ms=5, color=colour, ecolor=colour,
                    elinewidth=0.8, alpha=0.9, zorder=3, label=how or "no baseline")
    for _, row in shown.iterrows():
        ax.annotate(str(row["entry"]), (row[xm], row[ym]), fontsize=7, xytext=(3, 2), textcoords="offset points",
                    annotation_clip=False)
    ax.margins(x=0.25)  # room for the labels of the right-most entries
    if x.best is not None:
        ax.axvline(x.best, color="grey", linewidth=0.8, linestyle=":")
    ax.set(xlabel=_axis_label(x), ylabel=_axis_label(y))
    ax.legend(fontsize=7, frameon=False, title="against the baseline", title_fontsize=7)
    return _png(fig), f"{y.label} against {x.label}"


def thumbnail(png: bytes, cells: int = 4, width: int = 160) -> bytes:
    """The top-left ``cells`` x ``cells`` samples of an 8x8 sample grid (torchvision's, 2 px padding);
    a scatter plot (points) scaled to ``width``. Keeps the committed report small."""
    image: Image.Image = Image.open(io.BytesIO(png))
    if image.width == image.height and (image.width - 2) % 8 == 0 and image.width <= 8 * 66 + 2:
        cell = (image.width - 2) // 8
        image = image.crop((0, 0, 2 + cells * cell, 2 + cells * cell))
    elif image.width > width:
        image = image.resize((width, round(image.height * width / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
