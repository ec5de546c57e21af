/* Checks of the drift options of `calib8 compare` (--map-threshold, --ctc-blank) against a
 * model's outputs. */
#ifndef C8_TOOLS_CLI_DRIFT_H
#define C8_TOOLS_CLI_DRIFT_H

#include "calib8/engine.h"
#include "calib8/report.h"

#include <stdbool.h>

/* C8_ERR_USAGE (docs/cli.md: options without an effect are errors) when --map-threshold was
 * given (threshold_given) but no output of m is a dense map, or --ctc-blank but no output is a
 * sequence; the message lists the outputs and the kinds found (c8_report_output_kind, or
 * o->kind when set). */
c8_status c8_cli_check_drift_flags(const c8_model *m, const c8_drift_options *o,
                                   bool threshold_given, c8_error *err);

#endif
