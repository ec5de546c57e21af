/* calib8: the umbrella header. Each module's API lives in its own header:
 *   status.h   status codes and the error record      tensor.h  element types, host tensors
 *   engine.h   models, engines, plans, contexts       quant.h   INT8 semantics and quantization
 *   calib.h    histograms, algorithms, caches          dataset.h image sources, preprocessing
 *   report.h   accuracy-drift metrics and reports      config.h  build options (generated)
 *   util.h     output files, .npy tensors, sizes */
#ifndef CALIB8_CALIB8_H
#define CALIB8_CALIB8_H

#include "calib8/calib.h"
#include "calib8/config.h"
#include "calib8/dataset.h"
#include "calib8/engine.h"
#include "calib8/quant.h"
#include "calib8/report.h"
#include "calib8/status.h"
#include "calib8/tensor.h"
#include "calib8/util.h"

#endif
