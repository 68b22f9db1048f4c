# signet-milter at the milter protocol level, driven by miltertest(8)
# (miltertest_driver.py runs the miltertest_*.lua scripts) and by a small
# Python milter client (miltertest_client.py: header insert order, a
# connection kept across SIGHUP, end-of-message latency with delayed ACKs).
# The privdrop cases need root (UserID nobody); otherwise they are skipped.
# The Debian python3 is used on purpose: python3-dkim (dkimpy) lives there,
# not in a pyenv python.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

if(TARGET signet-milter)
  add_test(NAME integration_miltertest
           COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/miltertest_driver.py
                   --milter $<TARGET_FILE:signet-milter> --signet $<TARGET_FILE:signet>)
  set_tests_properties(integration_miltertest PROPERTIES
    LABELS integration
    TIMEOUT 300)
endif()
