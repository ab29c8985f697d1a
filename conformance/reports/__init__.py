"""Reports: the results of a certification as data, and every form they are written in.

results.json, report.md and report.html for one run; the matrix (reports/README.md) across
implementations; and the baseline, which turns a run's results into an expected-failures file.
"""
