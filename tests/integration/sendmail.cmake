# Integration test: signet-milter behind a real Sendmail (sendmail_test.py).
# Sendmail conflicts with Postfix as an installed package, so the test fetches
# Debian's sendmail-bin, sendmail-cf, sendmail-base, m4 and libwrap0 with
# `apt-get download` into a cache under the build tree (reused when present),
# unpacks them there, and runs `sendmail -bs` in its own UTS and mount
# namespaces. The Debian python3 is used on purpose: python3-dkim lives there.
set(SIGNET_SENDMAIL_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the Sendmail integration test")

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/sendmail-work${SFX})
  add_test(NAME integration_sendmail${SFX}
           COMMAND ${SIGNET_SENDMAIL_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/sendmail_test.py
                   $<TARGET_FILE:signet-milter${SFX}> $<TARGET_FILE:signet${SFX}>
                   --cache-dir ${CMAKE_BINARY_DIR}/sendmail-cache
                   --work-dir ${CMAKE_CURRENT_BINARY_DIR}/sendmail-work${SFX}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/sendmail-work${SFX})
  # One at a time: they share the package cache they fill.
  set_tests_properties(integration_sendmail${SFX} PROPERTIES
    LABELS "integration${VARIANT_LABELS}"
    ENVIRONMENT "${VARIANT_ENV}"
    RESOURCE_LOCK sendmail
    TIMEOUT 300)
endforeach()
