# quant/: sources (listed explicitly)
list(APPEND C8_SOURCES
  quant/quant.c
  quant/layout.c
  quant/hist_rule.c
)
# The histogram rule's block loops (element-wise bin indices, integer maxima and minima of bit
# patterns) under the full vectorizer: no float reduction is reordered, so every count, absmax,
# min and max is the same; -O2's very-cheap cost model left them scalar (calibrate spent a third
# of its time there; bench/results/cpu-user-time-2026-12-07.md).
set_source_files_properties(quant/hist_rule.c PROPERTIES
  COMPILE_OPTIONS "-ftree-loop-vectorize;-fvect-cost-model=dynamic")
