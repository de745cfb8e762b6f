"""Prints the NPM study's results (bench/npm-study.sh) as the markdown table docs/npm.md shows."""
import glob, json, os, sys

folder = sys.argv[1] if len(sys.argv) > 1 else "runs/npm-study/results"
rows = {}
for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
    name = os.path.basename(path)[:-5]
    for r in json.load(open(path)):
        method = name[: -len(r["task"]) - 1]
        rows.setdefault(r["task"], {})[method] = r
methods = ["npm", "npm-untrained", "mlm", "mlm-oracle-length"]
print("| task | n | " + " | ".join(methods) + " |")
print("|---|---|" + "---|" * len(methods))
for task, by in rows.items():
    n = next(iter(by.values()))["examples"]
    cells = []
    for m in methods:
        r = by.get(m)
        if r is None:
            cells.append("–")
            continue
        cell = f"{100 * r['correct'] / r['examples']:.1f}"
        if r.get("singleTokenExamples") is not None:
            s = r["singleTokenExamples"]
            cell += f" (1-token {r['singleTokenCorrect']}/{s}, longer {r['correct'] - r['singleTokenCorrect']}/{r['examples'] - s})"
        cells.append(cell)
    print(f"| {task} | {n} | " + " | ".join(cells) + " |")
