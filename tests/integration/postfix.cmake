# signet-milter behind a real Postfix on loopback (postfix_test.py): its own
# configuration and queue in a temporary directory, smtp-sink as the next hop,
# OpenDKIM and dkimpy as independent verifiers. Needs root (Postfix's master)
# and the Debian postfix, swaks, miltertest and opendkim packages.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  if(TARGET signet-milter${SFX})
    add_test(NAME integration_postfix${SFX}
             COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/postfix_test.py
                     --milter $<TARGET_FILE:signet-milter${SFX}> --signet $<TARGET_FILE:signet${SFX}>)
    set_tests_properties(integration_postfix${SFX} PROPERTIES
      LABELS "integration${VARIANT_LABELS}"
      ENVIRONMENT "${VARIANT_ENV}"
      RESOURCE_LOCK postfix
      TIMEOUT 300)
  endif()
endforeach()
