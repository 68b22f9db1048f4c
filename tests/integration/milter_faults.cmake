# signet-milter among hostile clients (milter_faults_test.py): disconnects in
# the middle of messages, garbage, slow connections, aborts, while a
# well-behaved client sends signed mail that must all come through.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  if(TARGET signet-milter${SFX})
    add_test(NAME integration_milter_faults${SFX}
             COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/milter_faults_test.py
                     --milter $<TARGET_FILE:signet-milter${SFX}> --signet $<TARGET_FILE:signet${SFX}> --seconds 20)
    set_tests_properties(integration_milter_faults${SFX} PROPERTIES
      LABELS "integration${VARIANT_LABELS}"
      ENVIRONMENT "${VARIANT_ENV}"
      TIMEOUT 300)
  endif()
endforeach()
