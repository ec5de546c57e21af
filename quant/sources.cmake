# quant/: sources (listed explicitly)
list(APPEND C8_SOURCES
  quant/quant.c
  quant/layout.c
  quant/hist_rule.c
)
