# signet-milter at the milter protocol level, driven by miltertest(8)
# (miltertest_driver.py runs the miltertest_*.lua scripts) and by a small
# Python milter client (miltertest_client.py: header insert order, a
# connection kept across SIGHUP, end-of-message latency with delayed ACKs).
# The privdrop cases need root (UserID nobody); otherwise they are skipped.
# The Debian python3 is used on purpose: python3-dkim (dkimpy) lives there,
# not in a pyenv python.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  if(TARGET signet-milter${SFX})
    add_test(NAME integration_miltertest${SFX}
             COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/miltertest_driver.py
                     --milter $<TARGET_FILE:signet-milter${SFX}> --signet $<TARGET_FILE:signet${SFX}>)
    set_tests_properties(integration_miltertest${SFX} PROPERTIES
      LABELS "integration${VARIANT_LABELS}"
      ENVIRONMENT "${VARIANT_ENV}"
      TIMEOUT 300)
  endif()
endforeach()
