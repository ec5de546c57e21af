# reports/: accuracy-drift reports (metrics, compare, sensitivity, automatic fallback, writers).
list(APPEND C8_SOURCES
  reports/metrics.c
  reports/report.c
  reports/drift.c
  reports/run.c
  reports/eval.c
  reports/sensitivity.c
  reports/compare.c
  reports/fallback.c
  reports/dump.c
  reports/write_json.c
  reports/write_md.c
  reports/write_html.c
)
