# reports/: sources (listed explicitly)
list(APPEND C8_SOURCES
)
