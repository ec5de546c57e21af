# tools/: the calib8 command-line tool.
set(C8_TOOL_SOURCES
  tools/main.c
  tools/cli.c
  tools/cmd_version.c
  tools/cmd_run.c
  tools/cmd_inspect.c
)
