#!/usr/bin/env bash
# Rerun every MC11 result the README quotes, into one new folder, so that a reader can check
# them and a revision of the data recomputes them in one go:
#   - "Tutorial": the preference rows of the United States;
#   - "The imputation rules, re-read against the seed": how many member-issue rows each
#     derivation rule gives (rules.txt);
#   - "What the scenarios show": every shipped scenario, 1,000 runs at seed 7, each what-if
#     compared with the baseline, its outcomes and its blockers (the baseline's folder has the
#     figures docs/baseline_*.png; the tutorial's `compare --blockers` example is an excerpt of
#     compare-blockers-baseline-us_disengages.txt, its `explain` example
#     explain-baseline-mandate.txt, the notes under its table included);
#   - "Three readings of the same data": the three protocols at their scenarios' own seed, and
#     the 200-run check at seed 7;
#   - "Changing a member's group stance": the README's example against the baseline;
#   - "What drives the baseline's verdicts": the two Sobol designs of the baseline's priors
#     (N = 256, R = 10, at the scenario's seed and at seed 1).
# Usage: bash docs/readme_results.sh [FOLDER]   (default results/readme-<UTC time>; a folder
# that exists is refused, nothing in it is touched). About 20 minutes on 2 cores, most of it
# the two sensitivity designs (about 5 minutes each). MC11=/path/to/mc11 picks another install
# (default .venv/bin/mc11).
set -euo pipefail
out=$(realpath -m -- "${1:-$(dirname "$0")/../results/readme-$(date -u +%Y%m%dT%H%M%SZ)}")
mc11=$(realpath -m -- "${MC11:-$(dirname "$0")/../.venv/bin/mc11}")
cd "$(dirname "$0")/.."  # the scenarios are named from the repository's root
python=$(dirname "$mc11")/python
if [[ -e $out ]]; then
    echo "readme_results.sh: $out exists; give a new folder" >&2
    exit 2
fi
mkdir -p "$out"
echo "readme_results.sh: writing into $out" >&2

"$mc11" preferences --member USA --issue data_localisation --issue classification \
    --issue consumer_protection > "$out/tutorial_preferences.txt"
"$mc11" preferences --format csv --out "$out/preferences.csv"
"$python" - "$out/preferences.csv" > "$out/rules.txt" <<'EOF'
import sys

import pandas as pd

table = pd.read_csv(sys.argv[1])
print(f"{len(table):,} member-issue rows; by rule:")
print(table["rule"].value_counts().to_string())
imputed = table[table["rule"] == "imputed"]
print("imputed rows by the source's rule text:")
status = imputed["source"].str.extract(r"rule default_by_status: (\w+)", expand=False)
print(status.value_counts().rename_axis("status").to_string())
EOF

seeded=$out/seed7
for scenario in scenarios/*.yaml; do
    name=$(basename "$scenario" .yaml)
    plots=
    [[ $name == baseline ]] && plots=--plots
    "$mc11" run "$scenario" --runs 1000 --seed 7 --folder "$seeded/$name" --yes --quiet $plots \
        > "$seeded-$name.txt"
done
for folder in "$seeded"/*/; do
    name=$(basename "$folder")
    [[ $name == baseline ]] && continue
    "$mc11" compare "$seeded/baseline" "$folder" > "$out/compare-baseline-$name.txt"
    "$mc11" compare "$seeded/baseline" "$folder" --blockers \
        > "$out/compare-blockers-baseline-$name.txt"
done
"$mc11" explain "$seeded/baseline" --issue mandate --top 6 > "$out/explain-baseline-mandate.txt" \
    2>&1

own=$out/own_seed
for name in baseline exchange_protocol challenge_protocol; do
    "$mc11" run "scenarios/$name.yaml" --folder "$own/$name" --yes --quiet \
        > "$own-$name.txt"
    "$mc11" run "scenarios/$name.yaml" --runs 200 --seed 7 --folder "$own/$name-200-seed7" \
        --yes --quiet > "$own-$name-200-seed7.txt"
done
"$mc11" compare "$own/baseline" "$own/exchange_protocol" "$own/challenge_protocol" \
    > "$out/three_protocols.txt"

# "Changing a member's group stance": the README's example, against the baseline at its seed.
"$python" - README.md "$(realpath scenarios/baseline.yaml)" > "$out/india_drops_linkage.yaml" <<'EOF'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"```yaml\n(extends: baseline\.yaml\nname: india_drops_linkage\n.*?)```", text,
                  re.S).group(1)
print(block.replace("extends: baseline.yaml", f"extends: {json.dumps(sys.argv[2])}", 1), end="")
EOF
"$mc11" run "$out/india_drops_linkage.yaml" --folder "$own/india_drops_linkage" --yes --quiet \
    > "$own-india_drops_linkage.txt"
{
    "$mc11" compare "$own/baseline" "$own/india_drops_linkage" --issue mandate
    "$mc11" compare "$own/baseline" "$own/india_drops_linkage" --issue mandate --blockers
    "$mc11" explain "$own/india_drops_linkage" --issue mandate
} > "$out/india_drops_linkage.txt" 2>&1

"$mc11" sweep scenarios/us_disengages.yaml --set overrides.0.scale_salience=0,0.25,0.5,1 \
    --runs-per-point 100 --scheduler in-process --folder "$out/us_salience_sweep" --yes \
    --quiet > "$out/us_salience_sweep.txt"
# Two designs that differ only by their seed: the README states only what holds at both.
"$mc11" sensitivity scenarios/baseline.yaml --method sobol --samples 256 --runs-per-point 10 \
    --workers 2 --folder "$out/sensitivity" --yes --quiet > "$out/sensitivity.txt"
"$mc11" sensitivity scenarios/baseline.yaml --method sobol --samples 256 --runs-per-point 10 \
    --workers 2 --seed 1 --folder "$out/sensitivity-seed1" --yes --quiet \
    > "$out/sensitivity-seed1.txt"
# The README's drivers: per design, over the issues whose P(multilateral) varies (5% point below
# 0.9), each constant's median ST and S1 and the issues where its ST interval excludes 0, the
# median sums of S1 and of ST, and each issue's Monte Carlo share of the design's variance.
"$python" - "$out/sensitivity" "$out/sensitivity-seed1" > "$out/sensitivity-drivers.txt" <<'EOF'
import json, sys
from pathlib import Path
import pandas as pd
for folder in map(Path, sys.argv[1:]):
    ind = pd.read_csv(folder / "sensitivity.csv")
    ranges = pd.read_csv(folder / "verdict_ranges.csv")
    points = pd.read_csv(folder / "points.csv")
    runs = json.loads((folder / "design.json").read_text())["runs_per_point"]
    issues = set(ranges.loc[ranges["p_multilateral_q05"] < 0.9, "issue"])
    pm = ind[(ind["verdict"] == "p_multilateral") & ind["issue"].isin(issues)]
    table = {name: pm[pm["index"] == name].pivot(index="issue", columns="parameter",
                                                 values=["value", "conf"])
             for name in ("S1", "ST")}
    st, conf = table["ST"]["value"], table["ST"]["conf"]
    s1 = table["S1"]["value"]
    out = pd.DataFrame({"ST_median": st.median(), "S1_median": s1.median(),
                        "ST_conf_median": conf.median(),
                        "ST_excludes_0": ((st - conf) > 0).sum()})
    print(f"{folder.name}: {len(issues)} issues; medians over them")
    print(out.sort_values("ST_median", ascending=False).round(3).to_string())
    print(f"sum of S1 per issue, median {s1.sum(axis=1).median():.2f}; "
          f"sum of ST per issue, median {st.sum(axis=1).median():.2f}")
    p = points[points["issue"].isin(issues)].groupby("issue")["p_multilateral"]
    noise = p.apply(lambda x: (x * (1 - x) / (runs - 1)).mean() / x.var(ddof=0))
    print("Monte Carlo share of the variance of P(multilateral), p(1-p)/R, estimated as p'(1-p')/(R-1), over it:")
    print(noise.round(3).to_string(), end="\n\n")
EOF
echo "readme_results.sh: done; the figures docs/baseline_outcomes.png and" \
    "docs/baseline_text_levels.png are $seeded/baseline/plots/outcomes.png and text_levels.png" >&2
