/* Subcommand entry points (argv[0] is the subcommand name). */
#ifndef C8_TOOLS_COMMANDS_H
#define C8_TOOLS_COMMANDS_H

int c8_cmd_version(int argc, char **argv);
int c8_cmd_run(int argc, char **argv);
int c8_cmd_inspect(int argc, char **argv);
int c8_cmd_dataset(int argc, char **argv);
int c8_cmd_cache(int argc, char **argv);

int c8_cmd_calibrate(int argc, char **argv);
int c8_cmd_build(int argc, char **argv);
int c8_cmd_eval(int argc, char **argv);
int c8_cmd_export_qdq(int argc, char **argv);
int c8_cmd_compare(int argc, char **argv);
int c8_cmd_bench(int argc, char **argv);

#endif
