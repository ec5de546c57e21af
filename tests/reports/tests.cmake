# reports/: metrics against hand-worked values and the report schema; compare and the automatic
# fallback search on a small committed model (and the bundled Fashion-MNIST CNN when present);
# the HTML report opened in headless Chromium (skipped when chromium is not installed).
c8_add_test(test_report_metrics ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_metrics.c)
# the per-output drift against FP32 (any model, no labels) against hand-worked values
c8_add_test(test_report_drift ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_drift.c)
c8_add_test(test_report_run ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_run.c TIMEOUT 900)
c8_add_test(test_report_html ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_html.c TIMEOUT 300)
# the sensitivity ranking on the bundled fmnist_resnet (skips without it or the data)
c8_add_test(test_report_sensitivity ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_sensitivity.c
            TIMEOUT 1200)
# issue 20 part 4 end to end: compare without labels on the PaddleOCR detector (../shared) and
# the bundled CNN, against NumPy recomputations from `calib8 run`; eval refusing the detector
add_test(NAME test_report_drift_ocr
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/reports/test_report_drift_ocr.sh
                 $<TARGET_FILE:calib8> ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/../shared
                 ${CMAKE_BINARY_DIR}/test_report_drift_ocr_work)
set_tests_properties(test_report_drift_ocr PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
