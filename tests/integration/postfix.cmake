# signet-milter behind a real Postfix on loopback (postfix_test.py): its own
# configuration and queue in a temporary directory, smtp-sink as the next hop,
# OpenDKIM and dkimpy as independent verifiers. Needs root (Postfix's master)
# and the Debian postfix, swaks, miltertest and opendkim packages.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

if(TARGET signet-milter)
  add_test(NAME integration_postfix
           COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/postfix_test.py
                   --milter $<TARGET_FILE:signet-milter> --signet $<TARGET_FILE:signet>)
  set_tests_properties(integration_postfix PROPERTIES
    LABELS integration
    TIMEOUT 300)
endif()
