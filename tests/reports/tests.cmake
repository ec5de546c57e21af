# reports/: metrics against hand-worked values and the report schema; compare and the automatic
# fallback search on a small committed model (and the bundled Fashion-MNIST CNN when present);
# the HTML report opened in headless Chromium (skipped when chromium is not installed).
c8_add_test(test_report_metrics ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_metrics.c)
c8_add_test(test_report_run ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_run.c TIMEOUT 900)
c8_add_test(test_report_html ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_html.c TIMEOUT 300)
# the sensitivity ranking on the bundled fmnist_resnet (skips without it or the data)
c8_add_test(test_report_sensitivity ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_sensitivity.c
            TIMEOUT 1200)
