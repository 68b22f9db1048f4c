# signet-milter under sustained load (milter_soak_test.py): 64 concurrent
# connections from signet-milter-load for three minutes, signing then
# verifying; zero failures and flat RSS (start and end printed).
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

if(TARGET signet-milter AND TARGET signet-milter-load)
  add_test(NAME integration_milter_soak
           COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/milter_soak_test.py
                   --milter $<TARGET_FILE:signet-milter> --signet $<TARGET_FILE:signet>
                   --load $<TARGET_FILE:signet-milter-load> --seconds 180)
  # Alone: it measures memory under load and loads both cores itself.
  set_tests_properties(integration_milter_soak PROPERTIES
    LABELS integration
    RUN_SERIAL TRUE
    TIMEOUT 600)
endif()
