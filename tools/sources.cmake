# tools/: the calib8 command-line tool.
set(C8_TOOL_SOURCES
  tools/main.c
  tools/cli.c tools/cli_io.c tools/cli_layers.c tools/cli_finite.c
  tools/cli_drift.c
  tools/cmd_version.c
  tools/cmd_run.c
  tools/cmd_inspect.c
  tools/cmd_calibrate.c
  tools/cmd_build.c
  tools/cmd_eval.c
  tools/cmd_export_qdq.c
  tools/cmd_dataset.c tools/dataset_opts.c
  tools/cmd_cache.c
  tools/cmd_compare.c
  tools/cmd_bench.c
)
