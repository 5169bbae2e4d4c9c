"""LegalBench-RAG character-span metric (re-implemented from the paper's definition).

precision@k = retrieved chars overlapping ground truth / retrieved chars
recall@k    = ground-truth chars covered by retrieved snippets / ground-truth chars
Per query, averaged per dataset; ALL = equal-weight mean of the datasets.
Retrieved snippets: list of (file_path, start, end) in rank order.
Copied verbatim from docqa's shared peers folder (MIT) so the metric test runs from a clean clone.
"""

# ruff: noqa
# fmt: off
from __future__ import annotations
import json, sys
from collections import defaultdict

KS = (1, 2, 4, 8, 16, 32, 64)


def _merge(iv):
    out = []
    for s, e in sorted(iv):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _overlap(a, b):
    """total overlap length between two merged interval lists"""
    i = j = tot = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            tot += e - s
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tot


def score_query(gold, retrieved, k):
    """gold: list of (file, s, e); retrieved: ranked list of (file, s, e)."""
    got = retrieved[:k]
    by_file_ret = defaultdict(list)
    ret_chars = 0
    for f, s, e in got:
        by_file_ret[f].append((s, e))
    # upstream counts retrieved chars after merging overlaps per file
    for f in by_file_ret:
        by_file_ret[f] = _merge(by_file_ret[f])
        ret_chars += sum(e - s for s, e in by_file_ret[f])
    by_file_gold = defaultdict(list)
    for f, s, e in gold:
        by_file_gold[f].append((s, e))
    gold_chars = 0
    hit = 0
    for f in by_file_gold:
        g = _merge(by_file_gold[f])
        by_file_gold[f] = g
        gold_chars += sum(e - s for s, e in g)
        hit += _overlap(g, by_file_ret.get(f, []))
    p = hit / ret_chars if ret_chars else 0.0
    r = hit / gold_chars if gold_chars else 0.0
    return p, r


def table(results):
    """results: {dataset: [(gold, retrieved), ...]} -> {dataset: {P@k, R@k}}"""
    out = {}
    for ds, rows in results.items():
        d = {}
        for k in KS:
            ps, rs = zip(*(score_query(g, r, k) for g, r in rows)) if rows else ((0,), (0,))
            d[f"P@{k}"] = 100 * sum(ps) / len(ps)
            d[f"R@{k}"] = 100 * sum(rs) / len(rs)
        out[ds] = d
    dss = [d for d in out]
    out["ALL"] = {m: sum(out[d][m] for d in dss) / len(dss) for m in out[dss[0]]}
    return out


def fmt(tab):
    cols = [f"P@{k}" for k in KS] + [f"R@{k}" for k in KS]
    lines = ["| dataset | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for ds, d in tab.items():
        lines.append(f"| {ds} | " + " | ".join(f"{d[c]:.2f}" for c in cols) + " |")
    return "\n".join(lines)
