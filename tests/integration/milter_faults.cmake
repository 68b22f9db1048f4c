# signet-milter among hostile clients (milter_faults_test.py): disconnects in
# the middle of messages, garbage, slow connections, aborts, while a
# well-behaved client sends signed mail that must all come through.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

if(TARGET signet-milter)
  add_test(NAME integration_milter_faults
           COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/milter_faults_test.py
                   --milter $<TARGET_FILE:signet-milter> --signet $<TARGET_FILE:signet> --seconds 20)
  set_tests_properties(integration_milter_faults PROPERTIES
    LABELS integration
    TIMEOUT 300)
endif()
