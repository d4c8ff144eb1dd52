"""Smoke tests for report.plots: every figure writes a non-empty PNG from small frames; and the
standard figures' tables and drawing (report.figures)."""

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text

from simulation.inputs.catalogue import default_catalogue
from simulation.inputs.scenario import load_scenario
from simulation.report import figures, plots
from simulation.report.designs import plot_heatmap, plot_indices, sweep_figure, with_intervals
from simulation.report.plots import (
    plot_blockers,
    plot_comparison,
    plot_outcomes,
    plot_position_heatmap,
    plot_support,
    plot_text_levels,
    plot_text_reach,
)
from simulation.report.summary import (
    OUTCOMES,
    blocker_frequencies,
    compare,
    group_positions,
    spread_over_time,
    summarise,
    text_levels,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ISSUES = pd.DataFrame(
    {"title": ["Moratorium on customs duties on electronic transmissions",
               "Cross-border data flows", "Unsolicited commercial communications (spam)",
               "Source code"],
     "cluster": ["procedure", "data_technology", "trust_regulation", "data_technology"],
     "status_quo": [0.0, 0.0, 10.0, 50.0]},
    index=pd.Index(["moratorium", "data_flows", "spam", "source_code"], name="issue"),
)


def _assert_png(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    """Twenty runs per issue; source_code never reaches an agreement."""
    rng = np.random.default_rng(0)
    rows = []
    for issue in ISSUES.index:
        for run in range(20):
            outcome = "none" if issue == "source_code" else rng.choice(list(OUTCOMES))
            agreed = outcome != "none"
            rows.append((run, issue, outcome, rng.uniform(0, 100) if agreed else np.nan,
                         rng.uniform(0.3, 0.9) if outcome == "plurilateral" else np.nan,
                         "" if outcome == "multilateral" else rng.choice(["", "IND", "IND;ZAF"]),
                         "USA;EU;JPN" if outcome == "plurilateral" else ""))
    frame = pd.DataFrame(rows, columns=["run", "issue", "outcome", "text", "coverage", "blockers",
                                        "plurilateral_members"])
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=list(OUTCOMES))
    return frame


@pytest.fixture(scope="module")
def support() -> pd.DataFrame:
    labels = ["2016-10 Oslo mini-ministerial", "2017-07 General Council", "2017-12 MC11"]
    rng = np.random.default_rng(1)
    values = rng.uniform(size=(10, len(labels), len(ISSUES)))
    return spread_over_time(values, labels, list(ISSUES.index))


@pytest.fixture(scope="module")
def positions() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    groups = ["US", "EU", "African Group", "JOB/GC/101 sponsors", "LDCs", "Other developing"]
    rows = [(f"{group}-{k}", group, issue, rng.uniform(0, 100), rng.uniform())
            for group in groups for k in range(2) for issue in ISSUES.index]
    return pd.DataFrame(rows, columns=["member", "group", "issue", "position", "salience"])


def test_plot_outcomes(outcomes: pd.DataFrame, tmp_path: Path) -> None:
    path = plot_outcomes(summarise(outcomes, ISSUES), tmp_path / "outcomes.png")
    _assert_png(path)


def test_plot_text_levels(outcomes: pd.DataFrame, tmp_path: Path) -> None:
    levels = text_levels(outcomes)
    assert set(levels["outcome"]) == {"multilateral", "plurilateral"}
    assert "source_code" not in set(levels["issue"])  # no agreement: no box, a note instead
    _assert_png(plot_text_levels(levels, ISSUES, tmp_path / "text.png"))


def test_plot_support(support: pd.DataFrame, tmp_path: Path) -> None:
    _assert_png(plot_support(support, ISSUES, tmp_path / "support.png"))


def test_plot_position_heatmap(positions: pd.DataFrame, tmp_path: Path) -> None:
    _assert_png(plot_position_heatmap(positions, ISSUES, tmp_path / "positions.png"))


def test_plot_blockers(outcomes: pd.DataFrame, tmp_path: Path) -> None:
    _assert_png(plot_blockers(blocker_frequencies(outcomes), tmp_path / "blockers.png", top=1,
                              issues=ISSUES, blocs={"Pair": ["IND", "ZAF"]}))


def test_plot_comparison(outcomes: pd.DataFrame, tmp_path: Path) -> None:
    summary_a = summarise(outcomes, ISSUES)
    summary_b = summarise(outcomes.assign(outcome=outcomes["outcome"].iloc[::-1].to_numpy()),
                          ISSUES)
    path = plot_comparison(compare(summary_a, summary_b), tmp_path / "cmp.png",
                           name_a="baseline", name_b="no moratorium")
    _assert_png(path)


def _drawn(monkeypatch, plot, *args, **kwargs) -> Figure:
    """The figure `plot` draws (kept, not saved)."""
    kept: list[Figure] = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: kept.append(fig) or Path(path))
    plot(*args, **kwargs)
    return kept[0]


def _comparison_figure(monkeypatch, outcomes: pd.DataFrame, names: list[str]) -> Figure:
    """The figure plot_comparison draws of len(names) comparisons with a baseline (kept, not
    saved)."""
    base = summarise(outcomes, ISSUES)
    shifted = [compare(base, summarise(outcomes.assign(outcome=np.roll(
        outcomes["outcome"].to_numpy(), k + 1)), ISSUES)) for k in range(len(names))]
    figure = _drawn(monkeypatch, plot_comparison, shifted, "unused.png", name_a="baseline",
                    name_b=names)
    figure.draw(figure.canvas.get_renderer())
    return figure


def test_a_comparison_figure_draws_every_compared_folder_in_its_own_style(outcomes,
                                                                          monkeypatch):
    """Twelve folders: twelve markers per issue row, each folder its own colour and marker."""
    names = [f"what-if {k}" for k in range(12)]
    figure = _comparison_figure(monkeypatch, outcomes, names)
    for axes in figure.axes:
        assert len(axes.containers) == len(names)  # one set of whiskers per folder
    handles = {text.get_text(): handle for legend in figure.legends
               for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True)}
    assert set(names) <= set(handles)
    styles = {(handles[name].get_marker(), handles[name].get_color()) for name in names}
    assert len(styles) == len(names)


def test_a_comparison_figure_beyond_its_maximum_is_refused(outcomes, monkeypatch):
    with pytest.raises(ValueError, match=f"at most {plots.MAX_COMPARED}"):
        _comparison_figure(monkeypatch, outcomes,
                           [f"what-if {k}" for k in range(plots.MAX_COMPARED + 1)])


@pytest.mark.parametrize("compared", [1, 4, 9])
def test_a_comparison_figure_keeps_its_labels_apart_and_inside(outcomes, monkeypatch, compared):
    """Long folder names: the legend wraps into rows inside the figure, the title stays in it
    and no axis label runs into the next panel's."""
    names = [f"results/african_group_softens-2017-12-0{k}T10:00:00" for k in range(compared)]
    figure = _comparison_figure(monkeypatch, outcomes, names)
    renderer = figure.canvas.get_renderer()
    inside = figure.bbox
    texts = [text for legend in figure.legends for text in legend.get_texts()]
    texts += [figure._suptitle, figure._supxlabel]
    texts += [axes.xaxis.label for axes in figure.axes] + [axes.title for axes in figure.axes]
    for text in texts:
        if text is not None and text.get_text():
            box = text.get_window_extent(renderer)
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1, text.get_text()
            assert inside.y0 <= box.y0 and box.y1 <= inside.y1, text.get_text()
    labels = [axes.xaxis.label.get_window_extent(renderer) for axes in figure.axes
              if axes.xaxis.label.get_text()]
    labels += [legend.get_window_extent(renderer) for legend in figure.legends]
    assert not any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])


@pytest.mark.parametrize(("fmt", "kind"), [("png", PNG_MAGIC), ("pdf", b"%PDF-"),
                                         ("svg", b"<?xml")])
def test_each_figure_format_writes_a_file_of_that_kind(outcomes, tmp_path, fmt, kind):
    """A figure is written in the format its file name ends in, leaving no temporary file; a
    PDF's fonts are TrueType, not the Type 3 that journals refuse."""
    path = plot_outcomes(summarise(outcomes, ISSUES), tmp_path / f"outcomes.{fmt}")
    data = path.read_bytes()
    assert data.startswith(kind) and len(data) > 1000
    assert fmt != "svg" or b"<svg" in data[:400]
    assert fmt != "pdf" or (b"/CIDFontType2" in data and b"/Type3" not in data)
    assert [p.name for p in tmp_path.iterdir()] == [f"outcomes.{fmt}"]


def test_a_figure_named_in_no_figure_format_is_refused(outcomes, tmp_path):
    with pytest.raises(ValueError, match=r"outcomes\.jpg: a figure is written as png, pdf, svg"):
        plot_outcomes(summarise(outcomes, ISSUES), tmp_path / "outcomes.jpg")
    assert not list(tmp_path.iterdir())


def test_unknown_issue_is_an_error(support: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="catalogue"):
        plot_support(support, ISSUES.drop(index="spam"), tmp_path / "x.png")


def _edges_are_blank(path: Path) -> bool:
    """Nothing drawn touches the image's border: no title, label or tick text is cut off."""
    image = imread(path)[..., :3]
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return bool((border > 0.99).all())


LONG_TITLES = ISSUES.assign(title=[
    "Non-discrimination (national treatment and MFN) for digital products", *ISSUES["title"][1:]])


@pytest.mark.parametrize("plot", [plot_outcomes, plot_text_reach])
def test_summary_figures_keep_their_titles_inside_the_image(plot, outcomes, tmp_path):
    summary = summarise(outcomes, LONG_TITLES)
    for point in ("mid", "high"):  # the reach of the scale's points, as a run's summary has it
        summary[f"p_text_{point}"] = 0.5
        summary[f"p_text_{point}_low"], summary[f"p_text_{point}_high"] = 0.4, 0.6
    assert _edges_are_blank(plot(summary, tmp_path / "figure.png"))


@pytest.mark.parametrize("constants", [1, 2, 29])
def test_the_sensitivity_heat_map_fits_any_number_of_constants(constants, tmp_path):
    rows = [(issue, "p_multilateral", f"parameters.group.constant_{k}", index, 0.3, 0.1, 0.2)
            for issue in ISSUES.index for k in range(constants) for index in ("S1", "ST")]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    titles = dict(zip(ISSUES.index, LONG_TITLES["title"], strict=True))
    assert _edges_are_blank(plot_heatmap(indices, titles, tmp_path / "heatmap.png"))


@pytest.mark.parametrize("measures", [("S1", "ST"), ("mu_star",)])
def test_the_sensitivity_indices_figure_fits_its_constants_for_either_method(measures, tmp_path):
    """Sobol's S1 and ST or Morris's mu*, 8 constants of which 6 are drawn, long issue titles,
    and an issue whose verdict never varies."""
    rows = [(issue, "p_multilateral", f"parameters.group.constant_{k}", index, 0.1 * k, 0.05,
             0.0 if issue == ISSUES.index[0] else 0.2)
            for issue in ISSUES.index for k in range(8) for index in measures]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    titles = dict(zip(ISSUES.index, LONG_TITLES["title"], strict=True))
    path = plot_indices(indices, titles, tmp_path / "indices.png")
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert _edges_are_blank(path)


@pytest.mark.parametrize("swept", [1, 2])
def test_sweep_panels_titles_do_not_run_into_each_other(swept, tmp_path):
    constants = ["parameters.consensus.base_tolerance", "parameters.consensus.min_step"][:swept]
    grid = pd.MultiIndex.from_product([[5.0, 25.0]] * swept, names=constants).to_frame(False)
    titles = {issue.id: issue.title for issue in default_catalogue().issues}
    issues = list(titles)
    table = grid.merge(pd.DataFrame({"issue": issues}), how="cross").assign(
        p_multilateral=0.5, p_plurilateral=0.3, p_none=0.2)
    figure = sweep_figure(table, constants, titles, 100)
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    boxes = [axis.title.get_window_extent(renderer) for axis in figure.axes
             if axis.get_title()]
    assert len(boxes) == len(issues)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(box.x0 >= 0 and box.x1 <= figure.bbox.x1 for box in boxes)


def test_the_blockers_figure_prints_every_share_to_the_same_decimals(monkeypatch, tmp_path):
    """0.030 and 0.031 need three decimals to tell apart: the other issues' shares get three
    too, not 0.03 beside 0.030."""
    frequencies = pd.DataFrame({"issue": ["moratorium", "moratorium", "spam", "spam"],
                                "member": ["IND", "ZAF", "USA", "CHN"],
                                "count": [31, 30, 30, 500], "share": [0.031, 0.030, 0.03, 0.5]})
    figure = _drawn(monkeypatch, plot_blockers, frequencies, tmp_path / "blockers.png",
                    issues=ISSUES)
    shares = [text.get_text().rsplit(": ", 1)[1] for text in figure.findobj(Text)
              if text.get_text()[:3] in ("IND", "ZAF", "USA", "CHN")]
    assert sorted(shares) == ["0.030", "0.030", "0.031", "0.500"]


@pytest.mark.parametrize("blocked", [0, 1, 4])
def test_the_blockers_figure_fits_any_number_of_blocked_issues(outcomes, blocked, tmp_path):
    """Issues blocked in no run are listed under the columns; long titles stay in the image."""
    frequencies = blocker_frequencies(outcomes)
    assert frequencies["issue"].nunique() == 4
    kept = frequencies[frequencies["issue"].isin(LONG_TITLES.index[:blocked])]
    path = plot_blockers(kept, tmp_path / "blockers.png", issues=LONG_TITLES,
                         blocs={"Pair": ["IND", "ZAF"]})
    assert _edges_are_blank(path)


# --- mutation testing, sixth round (docs/mutation_testing.md) -----------------------------


def test_a_sweep_of_two_constants_puts_the_first_along_x_as_its_title_says():
    """Each panel's cells: one column per value of the first constant (x), one row per value
    of the second (y), P(multilateral) of that pair in each."""
    constants = ["parameters.consensus.base_tolerance", "parameters.consensus.min_step"]
    grid = pd.MultiIndex.from_product([[5.0, 15.0, 25.0], [1.0, 2.0]],
                                      names=constants).to_frame(False)
    table = grid.assign(issue="moratorium", p_plurilateral=0.0, p_none=0.0,
                        p_multilateral=grid[constants[0]] / 100 + grid[constants[1]] / 10)
    figure = sweep_figure(table, constants, {"moratorium": "Moratorium"}, 100)
    axis = figure.axes[0]
    cells = np.asarray(axis.images[0].get_array())
    np.testing.assert_allclose(cells, [[0.15, 0.25, 0.35], [0.25, 0.35, 0.45]])
    assert [t.get_text() for t in axis.get_xticklabels()] == ["5", "15", "25"]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["1", "2"]
    assert f"by {constants[0]} (x) and {constants[1]} (y)" in figure.get_suptitle()
    assert (axis.get_xlabel(), axis.get_ylabel()) == tuple(constants)


def test_a_sweep_names_its_fixed_constants_and_keeps_coinciding_shares_visible():
    """`--set min_step=7 --set base_tolerance=10,20`: the title says min_step is held at 7 and
    how many runs each point has, the axes what they show, and two outcomes with the same share
    (0.4 and 0.4) are both seen, by their markers' shapes."""
    swept, held = "parameters.consensus.base_tolerance", "parameters.consensus.min_step"
    table = pd.DataFrame({swept: [10.0, 20.0], "issue": "market_access", "p_multilateral": 0.4,
                          "p_plurilateral": 0.2, "p_none": 0.4})
    figure = sweep_figure(table, [swept], {"market_access": "Market access"}, 100,
                          {held: 7.0})
    assert figure.get_suptitle() == \
        f"Outcome shares along {swept} (100 runs per grid point); {held} = 7"
    assert (figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()) == (swept, "Share of runs")
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    assert list(lines["multilateral"].get_ydata()) == list(lines["none"].get_ydata())
    assert lines["multilateral"].get_marker() != lines["none"].get_marker()
    assert lines["multilateral"].get_markersize() > lines["none"].get_markersize()


@pytest.mark.parametrize("measures", [("S1", "ST"), ("mu_star",)])
def test_the_indices_figure_shows_the_constants_with_the_largest_indices(measures, monkeypatch):
    """Of 8 constants, the `top` 3 of the largest total index (ST or mu*), largest on top."""
    from simulation.report import designs

    kept: list[Figure] = []
    monkeypatch.setattr(designs, "save_figure", lambda fig, path: kept.append(fig) or Path(path))
    values = [0.3, 0.8, 0.1, 0.5, 0.05, 0.7, 0.2, 0.4]
    rows = [("moratorium", "p_multilateral", f"parameters.group.constant_{k}", index, value,
             0.01, 0.2) for k, value in enumerate(values) for index in measures]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    plot_indices(indices, {}, "unused.png", top=3)
    axis = kept[0].axes[0]
    labels = [t.get_text() for t in axis.get_yticklabels()]
    shown = sorted(zip(axis.get_yticks(), labels, strict=True), reverse=True)
    assert [name for _, name in shown] == ["group.constant_1", "group.constant_5",
                                            "group.constant_3"]
    assert axis.get_xlabel() == ("share of the verdict's variance" if "ST" in measures else
                                 "mean absolute elementary effect")
    # the title names every index drawn (it said "ST" beside S1's bars too)
    assert kept[0].get_suptitle().startswith(
        "Sensitivity of p_multilateral per issue: "
        + ("ST (ranked) and S1 (" if "ST" in measures else "mu_star ("))


@pytest.mark.parametrize("measures", [("mu_star",), ("ST", "S1")])
def test_the_indices_figure_cuts_an_interval_at_zero(monkeypatch, measures):
    """mu* is a mean of absolute effects and ST half the mean squared change over the variance:
    neither is ever below 0, so a bar's interval stops at 0 where its half-width exceeds it,
    and keeps its full width above the bar and where it fits (ST's reached below 0)."""
    from matplotlib.collections import LineCollection

    from simulation.report import designs

    kept: list[Figure] = []
    monkeypatch.setattr(designs, "save_figure", lambda fig, path: kept.append(fig) or Path(path))
    rows = [("moratorium", "p_multilateral", f"parameters.group.{name}", index, value, conf,
             0.2) for name, value, conf in (("wide", 0.02, 0.05), ("narrow", 0.3, 0.1))
            for index in measures]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    plot_indices(indices, {}, "unused.png")
    (bars,) = [c for c in kept[0].axes[0].collections if isinstance(c, LineCollection)]
    ends = sorted((float(s[:, 0].min()), float(s[:, 0].max())) for s in bars.get_segments())
    np.testing.assert_allclose(ends, [(0.0, 0.07), (0.2, 0.4)])


def test_the_sensitivity_heat_map_blanks_exactly_the_issues_whose_verdict_does_not_vary(
        monkeypatch):
    """One column per issue (its title), one row per constant in the table's order, each cell
    the constant's total index (ST, not S1) of P(multilateral); an issue's column is blank
    where its verdict's variance over the design is below MIN_VARIANCE (at it, not), whatever
    the size of its indices; the colour scale of ST runs from 0 to 1."""
    from simulation.report import designs
    from simulation.runs.sensitivity import MIN_VARIANCE

    kept: list[Figure] = []
    monkeypatch.setattr(designs, "save_figure", lambda fig, path: kept.append(fig) or Path(path))
    issues = list(ISSUES.index)
    variances = dict(zip(issues, [0.0, MIN_VARIANCE, MIN_VARIANCE / 2, 0.2], strict=True))
    constants = ["parameters.group.zeta", "parameters.group.alpha", "parameters.group.mid"]
    total = {(c, i): 0.0002 + 0.1 * k + 0.01 * j
             for k, c in enumerate(constants) for j, i in enumerate(issues)}
    # S1 half of ST; P(none) with other indices, and a variance that would blank nothing
    rows = [(i, verdict, c, index, total[c, i] * share, 0.01, variance)
            for i in issues for c in constants
            for verdict, variance, scale in (("p_multilateral", variances[i], 1.0),
                                             ("p_none", 0.2, 0.7))
            for index, share in (("S1", 0.5 * scale), ("ST", scale))]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    plot_heatmap(indices, dict(zip(ISSUES.index, ISSUES["title"], strict=True)), "unused.png")
    axis = kept[0].axes[0]
    image = axis.images[0]
    cells = np.ma.filled(np.ma.asarray(image.get_array(), dtype=float), np.nan)
    expected = [[total[c, i] if variances[i] >= MIN_VARIANCE else np.nan for i in issues]
                for c in constants]
    np.testing.assert_allclose(cells, expected)
    assert [t.get_text() for t in axis.get_yticklabels()] == constants
    assert [t.get_text() for t in axis.get_xticklabels()] == [
        textwrap.shorten(title, width=30, placeholder="…") for title in ISSUES["title"]]
    assert image.get_clim() == (0, 1)


# --- the standard figures' tables and drawing (report.figures) ----------------------------------

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def nigerian_paper(tmp_path_factory):
    """The baseline with a paper first sponsored by an African Group member and co-sponsored
    by two members no one else names."""
    path = tmp_path_factory.mktemp("figures") / "paper.yaml"
    path.write_text(f"""\
extends: {BASELINE}
name: paper
proposals:
  - symbol: HYPO/1
    title: A what-if paper
    date: 2017-06-01
    section: what-if
    footnote: 0
    sponsors: [NGA, NOR, ISL]
    stances:
      - {{issue: e_payments, position: 90, emphasis: headline, section: x, basis: invented}}
""", encoding="utf-8")
    return load_scenario(path)


def test_position_groups_name_sponsors_then_blocs_then_the_rest_by_status(nigerian_paper):
    """A first sponsor is named on its own even inside a bloc (Nigeria, not the African
    Group), the other sponsors outside a bloc are 'Other proposal sponsors', and the groups
    come in that order: named members, blocs, other sponsors, then by development status."""
    table = figures.position_groups(nigerian_paper)
    group = dict(zip(table["member"], table["group"], strict=False))
    assert (group["NGA"], group["ZAF"]) == ("Nigeria", "African Group")
    assert (group["NOR"], group["ISL"], group["CHL"]) == ("Other proposal sponsors",) * 3
    assert (group["JPN"], group["AFG"]) == ("Other developed", "Other LDCs")
    assert list(dict.fromkeys(table["group"])) == [
        "United States", "Canada", "Brazil", "Colombia", "China", "Nigeria", "India",
        "European Union", "Chinese Taipei", "African Group", "Other proposal sponsors",
        "Other developed", "Other developing", "Other LDCs"]


def test_coalition_titles_name_two_sponsors_and_say_et_al_beyond(nigerian_paper):
    titles = figures.coalition_titles(nigerian_paper)
    assert titles["HYPO/1"] == "Sponsors of HYPO/1 (Nigeria, Norway et al.)"
    assert titles["JOB/GC/110/Rev.1"] == "Sponsors of JOB/GC/110/Rev.1 (China, Pakistan)"
    assert titles["african_group"] == "African Group (bloc)"
    groups = nigerian_paper.catalogue.group_stances
    assert any(not group.bloc for group in groups)  # e.g. the Doha-linked stances
    assert {group.id for group in groups if group.id in titles} == {
        group.id for group in groups if group.bloc}  # only blocs are coalitions


def test_bloc_members_are_the_blocs_by_name_with_their_negotiating_members(nigerian_paper):
    negotiation = nigerian_paper.negotiation()
    african = next(g for g in nigerian_paper.catalogue.group_stances if g.bloc)
    expected = [m.code for m in nigerian_paper.catalogue.actors
                if m.code in negotiation.members and african.applies_to.selects(m)]
    blocs = figures.bloc_members(nigerian_paper, negotiation)
    assert list(blocs) == ["African Group"]
    assert sorted(blocs["African Group"]) == sorted(expected) and "NGA" in expected


def _figure_texts(monkeypatch, file: str, tables: figures.FigureTables) -> str:
    """The text of the standard figure `file` drawn from `tables` (kept, not saved)."""
    into = next(f for f in figures.FIGURES if f.file() == file).into
    figure = _drawn(monkeypatch, into, tables, Path("unused"))
    return "\n".join(text.get_text() for text in figure.findobj(Text))


def test_the_standard_figures_name_coalitions_and_blocs_in_words(monkeypatch, support,
                                                                  outcomes, positions):
    labels = list(support["period_label"].unique())
    sizes = spread_over_time(np.full((4, len(labels), 2), 5.0), labels, ["JOB/GC/94", "pair"],
                             by="coalition", prefix="size")
    blockers = pd.DataFrame({"issue": ["spam", "spam"], "member": ["IND", "ZAF"],
                             "count": [15, 15], "share": [0.75, 0.75]})
    tables = figures.FigureTables(
        ISSUES, positions, {"JOB/GC/94": "Sponsors of JOB/GC/94 (United States)",
                            "pair": "The pair (bloc)"}, {"The pair": ["IND", "ZAF"]},
        support=support, coalitions=sizes, blockers=blockers)
    support_text = _figure_texts(monkeypatch, "support.png", tables)
    assert "Sponsors of JOB/GC/94 (United States)" in support_text
    assert "The pair (bloc)" in support_text
    assert "The pair (2 members): IND, ZAF." in _figure_texts(monkeypatch, "blockers.png", tables)


def test_write_figures_lists_the_files_drawn_not_the_figures_with_nothing_to_draw(
        monkeypatch, tmp_path, positions, outcomes):
    """A folder written before the summary had the reach columns has no text_reach figure."""
    def drawn(tables, path):
        path.write_text("drawn", encoding="utf-8")
        return path

    reach = next(f for f in figures.FIGURES if f.file() == "text_reach.png")
    monkeypatch.setattr(figures, "FIGURES", (figures.StandardFigure(drawn, "a"), reach))
    old = summarise(outcomes, ISSUES)
    assert "p_text_mid" not in old
    tables = figures.FigureTables(ISSUES, positions, {}, {}, summary=old)
    assert figures.write_figures(tables, tmp_path / "plots") == [tmp_path / "plots" / "a.png"]
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["a.png"]


# --- mutation testing, fourteenth round (docs/mutation_testing.md) ---------------------------


def _whisker_spans(container) -> list[tuple[float, float, float]]:
    """(left end, right end, y) of each horizontal whisker of an errorbar container."""
    (segments,) = [collection.get_segments() for collection in container.lines[2]]
    return [(min(s[:, 0]), max(s[:, 0]), s[0, 1]) for s in segments]


def _bars(container) -> list[tuple[float, float, float]]:
    """(left, width, y centre) of each bar of a bar container."""
    return [(bar.get_x(), bar.get_width(), bar.get_y() + bar.get_height() / 2)
            for bar in container.patches]


def test_the_outcomes_figure_stacks_the_shares_with_whiskers_on_each_bars_end(outcomes,
                                                                              monkeypatch):
    """Per issue (first on top), P(multilateral), P(plurilateral), P(none) side by side from
    0 to 1; each of the first two whiskered across its Wilson interval, moved along by the bars
    before it; the runs per issue under the axis."""
    summary = summarise(outcomes, ISSUES)
    axis = _drawn(monkeypatch, plot_outcomes, summary, "unused.png").axes[0]
    assert axis.yaxis_inverted()
    assert [(t.get_text(), y) for t, y in zip(axis.get_yticklabels(), axis.get_yticks(),
                                              strict=True)] == \
        [(title, k) for k, title in enumerate(ISSUES["title"])]
    bars = [c for c in axis.containers if hasattr(c, "patches")]
    whiskers = [c for c in axis.containers if not hasattr(c, "patches")]
    assert len(bars) == 3 and len(whiskers) == 2
    left = np.zeros(len(summary))
    rows = np.arange(len(summary))
    for k, name in enumerate(OUTCOMES):
        share = summary[f"p_{name}"].to_numpy()
        np.testing.assert_allclose(_bars(bars[k]), np.column_stack([left, share, rows]))
        if name != "none":
            np.testing.assert_allclose(_whisker_spans(whiskers[k]), np.column_stack([
                left + summary[f"p_{name}_low"], left + summary[f"p_{name}_high"], rows]))
        left = left + share
    np.testing.assert_allclose(left, 1.0)
    assert axis.get_xlabel() == "Share of Monte Carlo runs (n = 20 per issue)"
    fewer = summary.assign(n_runs=[20, 20, 12, 20])
    axis = _drawn(monkeypatch, plot_outcomes, fewer, "unused.png").axes[0]
    assert axis.get_xlabel() == "Share of Monte Carlo runs (n = 12-20 per issue)"


def test_the_text_reach_figure_draws_each_points_share_and_whiskers_on_its_own_bar(
        outcomes, monkeypatch):
    summary = summarise(outcomes, ISSUES)
    rows = np.arange(len(summary))
    for k, point in enumerate(("mid", "high")):
        summary[f"p_text_{point}"] = [0.6, 0.5, 0.4, 0.3][::1 - 2 * k]
        summary[f"p_text_{point}_low"] = summary[f"p_text_{point}"] - 0.1 - 0.05 * k
        summary[f"p_text_{point}_high"] = summary[f"p_text_{point}"] + 0.02
    axis = _drawn(monkeypatch, plot_text_reach, summary, "unused.png").axes[0]
    bars = [c for c in axis.containers if hasattr(c, "patches")]
    whiskers = [c for c in axis.containers if not hasattr(c, "patches")]
    for point, offset, bar, whisker in zip(("mid", "high"), (-0.18, 0.18), bars, whiskers,
                                           strict=True):
        assert bar.get_label() == f"P(agreed text reaches {point})"
        share = summary[f"p_text_{point}"].to_numpy()
        np.testing.assert_allclose(_bars(bar), np.column_stack([0 * share, share,
                                                                rows + offset]))
        np.testing.assert_allclose(_whisker_spans(whisker), np.column_stack([
            summary[f"p_text_{point}_low"], summary[f"p_text_{point}_high"], rows + offset]))
    assert axis.get_xlabel() == "Share of Monte Carlo runs (n = 20 per issue)"


def test_the_text_levels_figure_puts_each_box_on_its_issue_and_counts_its_runs(monkeypatch):
    """Rows from text_levels.csv in another order than the catalogue's: each kind's box (25-75%,
    whiskers 10-90%) and median dot on its own issue's row, multilateral above, plurilateral
    below; at the right the runs of each kind, or that no run agreed; the status quo marked."""
    levels = pd.DataFrame({
        "issue": ["spam", "moratorium", "moratorium", "source_code"],
        "outcome": ["multilateral", "plurilateral", "multilateral", "plurilateral"],
        "n_runs": [7, 3, 12, 1],
        "text_p10": [10.0, 20.0, 30.0, 40.0], "text_p25": [15.0, 25.0, 35.0, 40.0],
        "text_median": [20.0, 30.0, 40.0, 40.0], "text_p75": [25.0, 35.0, 45.0, 40.0],
        "text_p90": [30.0, 40.0, 50.0, 40.0]})
    axis = _drawn(monkeypatch, plot_text_levels, levels, ISSUES, "unused.png").axes[0]
    row = {issue: k for k, issue in enumerate(ISSUES.index)}
    offset = {"multilateral": -0.18, "plurilateral": 0.18}
    medians = sorted(tuple(point) for collection in axis.collections[:-1]
                     for point in collection.get_offsets())
    assert medians == sorted((r.text_median, row[r.issue] + offset[r.outcome])
                             for r in levels.itertuples())
    lines = {(round(min(line.get_xdata()), 6), round(max(line.get_xdata()), 6),
              round(float(np.mean(line.get_ydata())), 6)) for line in axis.lines}
    for r in levels.itertuples():
        y = round(row[r.issue] + offset[r.outcome], 6)
        assert {(r.text_p10, r.text_p25, y), (r.text_p75, r.text_p90, y)} <= lines
    status_quo = axis.collections[-1].get_offsets()
    np.testing.assert_allclose(status_quo, np.column_stack([ISSUES["status_quo"],
                                                            np.arange(len(ISSUES))]))
    assert [text.get_text() for text in axis.texts] == [
        "multi. 12, pluri. 3", "no agreement in any run", "multi. 7", "pluri. 1"]


def _support_panels(figure: Figure) -> dict[str, list]:
    """Each panel's title and its lines."""
    return {axis.get_title(loc="left"): axis.get_lines() for axis in figure.axes}


def test_the_support_figure_draws_a_panel_per_cluster_with_the_mean_and_its_band(
        support, monkeypatch):
    """A panel per cluster with any issue in the table, under the cluster's title; each issue's
    line is its mean support by period, its band from the 10th to the 90th percentile; the
    axis names support's unit and the title the runs."""
    partial = support[support["issue"] != "source_code"]  # data_technology keeps data_flows
    titled = ISSUES.assign(cluster_title=ISSUES["cluster"].str.replace("_", " ").str.title())
    figure = _drawn(monkeypatch, plot_support, partial, titled, "unused.png")
    panels = _support_panels(figure)
    assert list(panels) == ["Procedure", "Data Technology", "Trust Regulation"]
    for axis in figure.axes:
        (line,) = axis.get_lines()
        issue = titled.index[titled["title"] == line.get_label()][0]
        rows = partial[partial["issue"] == issue].sort_values("period")
        np.testing.assert_allclose(line.get_xydata(), rows[["period", "support_mean"]])
        (band,) = axis.collections
        corners = {tuple(np.round(v, 9)) for v in band.get_paths()[0].vertices}
        for r in rows.itertuples():
            assert {(r.period, round(r.support_p10, 9)), (r.period, round(r.support_p90, 9))} \
                <= corners
        assert axis.get_ylabel() == "Support (capability share)"
    assert "line: mean over 10 runs" in figure.get_suptitle()


def test_the_support_figure_gives_the_coalitions_their_own_panel_each_in_its_own_style(
        support, monkeypatch):
    """Eight coalitions: a last panel of their sizes beside every cluster's, and no two of
    their lines alike (colour and dash)."""
    labels = list(support["period_label"].unique())
    names = [f"coalition {k}" for k in range(8)]
    sizes = spread_over_time(np.arange(4 * len(labels) * 8, dtype=float).reshape(
        4, len(labels), 8), labels, names, by="coalition", prefix="size")
    figure = _drawn(monkeypatch, plot_support, support, ISSUES, "unused.png", coalitions=sizes)
    panels = _support_panels(figure)
    assert list(panels) == ["procedure", "data_technology", "trust_regulation",
                            "Coalition sizes after each month's coalition round"]
    assert len(panels["data_technology"]) == 2
    lines = panels["Coalition sizes after each month's coalition round"]
    assert [line.get_label() for line in lines] == names
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == len(names)


def test_the_position_heatmap_has_the_catalogues_issues_as_rows_and_writes_each_cells_value(
        positions, monkeypatch):
    """Positions listed in another issue order: the rows follow the catalogue; each cell is
    the group's salience-weighted mean position, written in the cell, on a fixed 0-100 scale."""
    shuffled = positions.iloc[::-1]
    axis = _drawn(monkeypatch, plot_position_heatmap, shuffled, ISSUES, "unused.png").axes[0]
    expected = group_positions(shuffled)[list(ISSUES.index)].T.to_numpy()
    image = axis.images[0]
    np.testing.assert_allclose(np.ma.filled(image.get_array(), np.nan), expected)
    assert [t.get_text() for t in axis.get_yticklabels()] == list(ISSUES["title"])
    assert [t.get_text() for t in axis.get_xticklabels()] == [
        textwrap.fill(g, 14) for g in group_positions(shuffled).index]
    written = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
               for t in axis.texts}
    assert written == {(row, col): f"{value:.0f}" for (row, col), value
                       in np.ndenumerate(expected)}
    assert image.get_clim() == (0, 100)


def test_the_blockers_figure_shows_the_most_frequent_blockers_under_each_issue(monkeypatch):
    """top=2: the two largest shares and the next, largest first, each bar on its own row
    under the issue's title; the issues nobody blocked listed, and only the blocs that
    block."""
    frequencies = pd.DataFrame({
        "issue": ["moratorium"] * 5 + ["spam"] * 2,
        "member": ["USA", "IND", "ZAF", "CHN", "BRA", "IND", "ZAF"],
        "count": [2, 10, 6, 4, 1, 8, 8], "share": [0.1, 0.5, 0.3, 0.2, 0.05, 0.4, 0.4]})
    figure = _drawn(monkeypatch, plot_blockers, frequencies, "unused.png", top=2, issues=ISSUES,
                    blocs={"The pair": ["IND", "ZAF"], "Others": ["BRA", "ARG"]})
    assert "the 2 most frequent blockers" in figure.get_suptitle()
    assert figure.get_suptitle().startswith("Who blocks what in 20 runs: ")  # 2 of 0.1, ...
    notes = "\n".join(t.get_text() for t in figure.texts)
    assert "No member blocked, in any run: Cross-border data flows; Source code." in \
        notes.replace("\n", " ")
    assert "The pair (2 members): IND, ZAF." in notes and "Others" not in notes
    (left, right) = figure.axes
    for axis, shown in ((left, ["IND: 0.50", "ZAF: 0.30", "CHN: 0.20"]),
                        (right, ["The pair (2): 0.40"])):
        texts = axis.texts
        title_rows = [t.get_position()[1] for t in texts if t.get_position()[0] == 0]
        labels = [(t.get_text(), t.get_position()[1]) for t in texts
                  if t.get_position()[0] != 0]
        assert [text for text, _ in labels] == shown
        bars = _bars(axis.containers[0])
        assert [(width, y) for _, width, y in bars] == \
            [(float(text.rsplit(": ", 1)[1]), y) for text, y in labels]
        assert not set(title_rows) & {y for _, _, y in bars}


def _comparison(values: list[float], order: list[str]) -> pd.DataFrame:
    """A comparison table of the ISSUES (rows in `order`) whose changes are `values`, with
    intervals 0.05 below and 0.15 above, excluding zero where the low end is above 0."""
    table = pd.DataFrame({"title": ISSUES["title"]}, index=ISSUES.index)
    for name in OUTCOMES:
        table[f"diff_{name}"] = values
        table[f"diff_{name}_low"] = table[f"diff_{name}"] - 0.05
        table[f"diff_{name}_high"] = table[f"diff_{name}"] + 0.15
        table[f"diff_{name}_excludes_zero"] = table[f"diff_{name}_low"] > 0
    return table.loc[order]


def test_the_comparison_figure_draws_each_change_with_its_interval_on_its_issue(monkeypatch):
    """Each issue's change b - a with its (asymmetric) interval, filled where the interval
    excludes zero; a second comparison whose rows come in another order still on the right
    issues, the markers of an issue spread around its row."""
    one = _comparison([-0.3, 0.02, 0.1, 0.4], list(ISSUES.index))
    figure = _drawn(monkeypatch, plot_comparison, one, "unused.png", name_a="baseline",
                    name_b="no moratorium")
    rows = np.arange(len(ISSUES))
    for axis, name in zip(figure.axes, OUTCOMES, strict=True):
        np.testing.assert_allclose(_whisker_spans(axis.containers[0]), np.column_stack(
            [one[f"diff_{name}_low"], one[f"diff_{name}_high"], rows]))
        filled, hollow = [c for c in axis.collections if isinstance(c, PathCollection)]
        assert [tuple(p) for p in filled.get_offsets()] == [(0.1, 2.0), (0.4, 3.0)]
        assert [tuple(p) for p in hollow.get_offsets()] == [(-0.3, 0.0), (0.02, 1.0)]
        assert tuple(hollow.get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)
    assert figure.axes[1].get_xlabel().replace("\n", " ") == \
        "Change in probability: no moratorium − baseline"
    other = _comparison([0.2, -0.2, 0.3, -0.3], list(ISSUES.index[::-1]))
    figure = _drawn(monkeypatch, plot_comparison, [one, other, one], "unused.png",
                    name_a="baseline", name_b=["one", "other", "one again"])
    axis = figure.axes[0]
    spans = [_whisker_spans(container) for container in axis.containers]
    for k, issue in enumerate(ISSUES.index):
        for table, span in zip((one, other, one), spans, strict=True):
            assert span[k][:2] == pytest.approx((table.at[issue, "diff_multilateral_low"],
                                                 table.at[issue, "diff_multilateral_high"]))
        assert np.mean([span[k][2] for span in spans]) == pytest.approx(k)
        assert all(abs(span[k][2] - k) < 0.5 for span in spans)


# --- mutation testing, twenty-third round (docs/mutation_testing.md) ------------------------


def test_a_figure_format_is_read_from_its_ending_in_any_case(outcomes, tmp_path):
    """OUTCOMES.PNG is a PNG, as outcomes.png is: the ending's case is not the format."""
    path = plot_outcomes(summarise(outcomes, ISSUES), tmp_path / "OUTCOMES.PNG")
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_a_pdf_figure_does_not_record_when_it_was_drawn(outcomes, tmp_path, monkeypatch):
    """The same tables give the same PDF bytes at any time (matplotlib would write the time of
    drawing, here SOURCE_DATE_EPOCH, as its CreationDate)."""
    summary = summarise(outcomes, ISSUES)
    drawn = []
    for when in ("0", "1000000000"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", when)
        drawn.append(plot_outcomes(summary, tmp_path / when / "outcomes.pdf").read_bytes())
    assert drawn[0] == drawn[1]


# --- figure review: what a reader sees ------------------------------------------------------


def test_the_text_reach_figure_lists_its_bars_in_the_legends_order_in_no_outcomes_colour(
        outcomes, monkeypatch):
    """A text reaching a point may be multilateral or plurilateral: its bars take colours no
    outcome has in any figure (blue is P(multilateral) everywhere else), and each issue's bars
    run top to bottom in the legend's order, mid above high."""
    summary = summarise(outcomes, ISSUES)
    for point, share in (("mid", 0.5), ("high", 0.2)):
        summary[f"p_text_{point}"] = share
        summary[f"p_text_{point}_low"], summary[f"p_text_{point}_high"] = share - 0.1, share + 0.1
    figure = _drawn(monkeypatch, plot_text_reach, summary, "unused.png")
    bars = [c for c in figure.axes[0].containers if hasattr(c, "patches")]
    colours = {to_hex(bar.patches[0].get_facecolor()) for bar in bars}
    assert len(colours) == 2
    assert not colours & {to_hex(c) for c in plots.OUTCOME_COLOURS.values()}
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [bar.get_label() for bar in bars]
    centres = [[y for _, _, y in _bars(bar)] for bar in bars]
    assert all(upper < lower for upper, lower in zip(*centres, strict=True))  # y runs down


def _legend_clear_of_the_panels(figure: Figure) -> None:
    """The figure has one legend, inside it and over none of its panels."""
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    assert not any(axis.get_legend() for axis in figure.axes)
    (legend,) = figure.legends
    box = legend.get_window_extent(renderer)
    assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1
    assert figure.bbox.y0 <= box.y0 and box.y1 <= figure.bbox.y1
    assert not any(box.overlaps(axis.get_window_extent(renderer)) for axis in figure.axes
                   if axis.get_visible())


def test_a_sweeps_legend_covers_no_panels_data():
    """The shares run across the whole first panel, where the legend was put (loc="best"):
    it is now under the panels."""
    swept = "parameters.consensus.base_tolerance"
    values = np.linspace(5, 25, 5)
    table = pd.DataFrame({swept: np.tile(values, 2), "issue": np.repeat(["moratorium", "spam"], 5),
                          "p_multilateral": np.tile([1.0, 0.0, 1.0, 0.0, 1.0], 2),
                          "p_plurilateral": np.tile([0.0, 0.5, 0.0, 0.5, 0.0], 2)})
    table["p_none"] = 1 - table["p_multilateral"] - table["p_plurilateral"]
    _legend_clear_of_the_panels(sweep_figure(table, [swept], dict(ISSUES["title"]), 100))


@pytest.mark.parametrize("measures", [("S1", "ST"), ("mu_star",)])
def test_the_indices_figures_legend_covers_no_panels_bars(measures, monkeypatch):
    """The legend sat in the first estimated panel's corner, over the whisker of its largest
    index: it is now under the panels."""
    from simulation.report import designs

    kept: list[Figure] = []
    monkeypatch.setattr(designs, "save_figure", lambda fig, path: kept.append(fig) or Path(path))
    rows = [(issue, "p_multilateral", f"parameters.group.constant_{k}", index, 0.2 * k, 0.4,
             0.0 if issue == ISSUES.index[0] else 0.2)
            for issue in ISSUES.index for k in range(6) for index in measures]
    indices = pd.DataFrame(rows, columns=["issue", "verdict", "parameter", "index", "value",
                                          "conf", "variance"])
    plot_indices(indices, dict(ISSUES["title"]), Path("unused.png"))
    _legend_clear_of_the_panels(kept[0])


@pytest.mark.parametrize(("values", "reach"), [([-0.02, 0.01, 0.0, 0.03], 0.2),
                                               ([-0.3, 0.02, 0.1, 0.4], 0.6),
                                               ([-0.9, 0.02, 0.1, 0.4], 1.0)])
def test_the_comparison_figures_axis_fits_its_intervals_and_keeps_its_panels_labels_apart(
        values, reach, monkeypatch):
    """Changes of a few hundredths (a paired comparison's) were dots on an axis from -1 to 1:
    the three panels now share the narrowest symmetric range holding every interval (here 0.05
    below and 0.15 above each change), their changes signed, and one panel's last tick label
    stands apart from the next one's first (they read as one range, "1.0 −1.0")."""
    table = _comparison(values, list(ISSUES.index))
    figure = _drawn(monkeypatch, plot_comparison, table, "unused.png", name_a="baseline",
                    name_b="what-if")
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    for axis in figure.axes:
        assert axis.get_xlim() == pytest.approx((-reach, reach))
        low, high = axis.get_xlim()
        assert low <= table.filter(like="_low").min().min()
        assert table.filter(like="_high").max().max() <= high
        labels = [label.get_text() for label in axis.get_xticklabels()]
        assert labels[2] == "0" and labels[3].startswith("+") and labels[1].startswith("−")
    for left, right in zip(figure.axes, figure.axes[1:], strict=False):
        last = left.get_xticklabels()[-1].get_window_extent(renderer)
        first = right.get_xticklabels()[0].get_window_extent(renderer)
        assert first.x0 - last.x1 >= 0.4 * figure.dpi


def test_the_support_figure_shows_lines_at_full_and_no_support_inside_its_frame(monkeypatch):
    """An issue everyone supports throughout (1.0) and one nobody does (0.0): their lines lay
    on the frame at the axes' limits 0 and 1, which matplotlib draws over them (a spine's
    zorder 2.5 over a line's 2); they now lie inside it, the ticks still from 0 to 1."""
    labels = ["2017-07 General Council", "2017-12 MC11"]
    values = np.zeros((10, len(labels), len(ISSUES)))
    values[:, :, 0] = 1.0
    support = spread_over_time(values, labels, list(ISSUES.index))
    figure = _drawn(monkeypatch, plot_support, support, ISSUES, "unused.png")
    for axis in figure.axes:
        low, high = axis.get_ylim()
        for line in axis.get_lines():
            assert low < line.get_ydata().min() and line.get_ydata().max() < high
        assert (axis.get_yticks().min(), axis.get_yticks().max()) == (0, 1)


def test_the_outcomes_figure_draws_a_whisker_past_its_frame_whole(monkeypatch):
    """With no run ending without a deal, the plurilateral share's whisker is drawn at 1 and
    reaches past the axis: it was cut at the frame, its cap and half the interval lost."""
    from matplotlib.container import ErrorbarContainer

    summary = pd.DataFrame({"title": ["Mandate"], "n_runs": [200], "p_multilateral": [0.6],
                            "p_multilateral_low": [0.53], "p_multilateral_high": [0.67],
                            "p_plurilateral": [0.4], "p_plurilateral_low": [0.33],
                            "p_plurilateral_high": [0.47], "p_none": [0.0]})
    figure = _drawn(monkeypatch, plot_outcomes, summary, "unused.png")
    (axis,) = figure.axes
    plurilateral = [c for c in axis.containers if isinstance(c, ErrorbarContainer)][1]
    (segment,) = plurilateral.lines[2][0].get_segments()
    assert segment[1][0] == pytest.approx(1.07)
    assert axis.get_xlim()[1] == 1
    assert not any(part.get_clip_on() for part in (*plurilateral.lines[1],
                                                   *plurilateral.lines[2]))


def test_a_sweeps_panels_tick_the_swept_values():
    """`--set base_tolerance=5,10,15,20`: each panel's x ticks are 5, 10, 15 and 20, where the
    markers are (matplotlib's own were 6, 8, ..., 20, none of them a grid point but 10 and 20)."""
    swept = "parameters.consensus.base_tolerance"
    table = pd.DataFrame({swept: [5.0, 10.0, 15.0, 20.0], "issue": "spam",
                          "p_multilateral": 0.5, "p_plurilateral": 0.3, "p_none": 0.2})
    figure = sweep_figure(table, [swept], dict(ISSUES["title"]), 100)
    figure.draw(figure.canvas.get_renderer())
    (axis,) = figure.axes
    assert list(axis.get_xticks()) == [5, 10, 15, 20]
    assert [label.get_text() for label in axis.get_xticklabels()] == ["5", "10", "15", "20"]


def test_a_sweeps_table_gives_each_share_its_wilson_interval_over_the_points_runs():
    """sweep.csv gave bare shares: at 100 runs a point, 0.5 is 0.40-0.60, which a reader could
    not tell from the table or the figure."""
    from simulation.report.summary import wilson_interval

    swept = "parameters.consensus.base_tolerance"
    table = pd.DataFrame({"point": [0, 1], swept: [5.0, 10.0], "issue": "spam",
                          "p_multilateral": [0.5, 1.0], "p_plurilateral": [0.3, 0.0],
                          "p_none": [0.2, 0.0], "p_text_mid": [0.25, 0.0],
                          "p_text_high": [0.01, 0.0], "text_median": [40.0, 60.0]})
    shown = with_intervals(table, 100)
    assert list(shown.columns) == [
        "point", swept, "issue", "n_runs", "p_multilateral", "p_multilateral_low",
        "p_multilateral_high", "p_plurilateral", "p_plurilateral_low", "p_plurilateral_high",
        "p_none", "p_none_low", "p_none_high", "p_text_mid", "p_text_mid_low",
        "p_text_mid_high", "p_text_high", "p_text_high_low", "p_text_high_high", "text_median"]
    assert shown["n_runs"].tolist() == [100, 100]
    low, high = wilson_interval([50, 100], 100)
    assert np.allclose(shown["p_multilateral_low"], low)
    assert np.allclose(shown["p_multilateral_high"], high)
    assert shown.loc[0, "p_multilateral_low"] == pytest.approx(0.404, abs=1e-3)
    low, high = wilson_interval([25, 0], 100)  # the agreed texts' reach too, as summary.csv's
    assert np.allclose(shown["p_text_mid_low"], low)
    assert np.allclose(shown["p_text_mid_high"], high)
    pd.testing.assert_frame_equal(shown[table.columns], table)  # the shares themselves as given


def test_a_sweep_of_one_constant_draws_each_shares_interval_as_a_band():
    swept = "parameters.consensus.base_tolerance"
    table = with_intervals(pd.DataFrame({swept: [5.0, 10.0], "issue": "spam",
                                         "p_multilateral": [0.5, 0.9],
                                         "p_plurilateral": [0.3, 0.1],
                                         "p_none": [0.2, 0.0], "p_text_mid": [0.4, 0.6],
                                         "p_text_high": 0.0}), 100)
    figure = sweep_figure(table, [swept], dict(ISSUES["title"]), 100)
    (axis,) = figure.axes
    bands = axis.collections
    assert len(bands) == 3 and "bands: each point's 95% Wilson interval" in figure.get_suptitle()
    multilateral = bands[0].get_paths()[0].vertices
    assert multilateral[:, 1].min() == pytest.approx(table["p_multilateral_low"].min())
    assert multilateral[:, 1].max() == pytest.approx(table["p_multilateral_high"].max())
