#!/usr/bin/env python3
"""Where the fold's time goes, per statement and per CTE (issue #26), from auto_explain's JSON
plans (log_analyze, log_nested_statements) in a PostgreSQL server log read on stdin.

Every statement auto_explain logged is attributed to a name: a fold statement by the clean table
it writes (its kind, or "all" when it writes several), anything else by its first words. Inside a
statement each plan node's own time (its actual total time times its loops, less its children's)
is summed per CTE (the InitPlan "CTE name" subtree it belongs to; the main query is "(main)").
A CTE Scan node counts nothing of its own: the CTE's work is counted in the CTE's subtree. Prints
the total per statement and its CTEs in milliseconds, summed over every statement of that name.
"""
import collections
import json
import re
import sys

DETAIL = None  # --nodes: also the time per CTE and plan node type
ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def plans(lines):
    """The JSON plans of the log's auto_explain entries, in order."""
    entry = None
    for line in lines + ["2000-01-01 00:00:00 end"]:
        if ENTRY.match(line):
            if entry and "plan:" in entry[0]:
                text = "".join(entry[1:])
                start = text.find("{")
                if start >= 0:
                    yield json.loads(text[start:])
            entry = [line]
        elif entry is not None:
            entry.append(line)


def own_times(node, cte, out):
    """Adds each node's own time, in ms, to out[cte]; returns the node's inclusive time."""
    loops = node.get("Actual Loops", 1) or 0
    total = node.get("Actual Total Time", 0.0) * loops
    children = 0.0
    for child in node.get("Plans", []):
        name = child.get("Subplan Name", "")
        child_cte = name[4:] if name.startswith("CTE ") else cte
        inclusive = own_times(child, child_cte, out)
        if child_cte == cte:
            children += inclusive
    if node.get("Node Type") == "CTE Scan":
        return total  # the CTE's own subtree counts its work
    own = max(total - children, 0.0)
    out[cte] += own
    if DETAIL is not None:
        DETAIL[(cte, node.get("Node Type"), node.get("Relation Name", node.get("Sort Method", "")))] += own
    return total


def statement_name(query):
    tables = sorted(set(re.findall(r"INSERT INTO clean\.(\w+)", query)))
    if tables:
        return "fold " + ("+".join(tables))
    return " ".join(query.split()[:4])


def main():
    global DETAIL
    per_node = collections.OrderedDict()
    per_statement = collections.OrderedDict()
    calls = collections.Counter()
    for plan in plans(sys.stdin.read().splitlines(keepends=True)):
        name = statement_name(plan.get("Query Text", ""))
        out = per_statement.setdefault(name, collections.Counter())
        if "--nodes" in sys.argv:
            DETAIL = per_node.setdefault(name, collections.Counter())
        own_times(plan["Plan"], "(main)", out)
        calls[name] += 1
    for name, out in per_statement.items():
        total = sum(out.values())
        print(f"{name}: {total:.0f} ms in {calls[name]} statements")
        for cte, ms in sorted(out.items(), key=lambda item: -item[1]):
            if ms >= 0.5:
                print(f"    {cte:<12} {ms:9.0f} ms {100 * ms / total if total else 0:5.1f}%")
        for (cte, node, detail), ms in sorted(per_node.get(name, {}).items(), key=lambda item: -item[1]):
            if ms >= 0.02 * total:
                print(f"        {cte:<10} {node} {detail}: {ms:.0f} ms")


if __name__ == "__main__":
    main()
