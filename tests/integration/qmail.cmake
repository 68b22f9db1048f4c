# qmail-signet against the qmail-queue(8) contract (qmail_test.py): a
# recording stand-in for qmail-queue (qmail_queue_recorder, C++ so that it
# adds next to nothing when the shim's own cost is measured), a scriptable
# stub milter (stub_milter.py), the real signet-milter and Debian's OpenDKIM,
# all on 127.0.0.1 and started and stopped by the test.
set(SIGNET_INTEGRATION_PYTHON /usr/bin/python3 CACHE FILEPATH
    "Python with python3-dkim (dkimpy) for the integration tests")

add_executable(qmail_queue_recorder ${CMAKE_CURRENT_SOURCE_DIR}/qmail_queue_recorder.cpp)
target_compile_options(qmail_queue_recorder PRIVATE ${SIGNET_WARNINGS})

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  if(TARGET qmail-signet${SFX} AND TARGET signet-milter${SFX})
    add_test(NAME integration_qmail${SFX}
             COMMAND ${SIGNET_INTEGRATION_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/qmail_test.py
                     --shim $<TARGET_FILE:qmail-signet${SFX}> --recorder $<TARGET_FILE:qmail_queue_recorder>
                     --milter $<TARGET_FILE:signet-milter${SFX}> --signet $<TARGET_FILE:signet${SFX}>)
    set_tests_properties(integration_qmail${SFX} PROPERTIES
      LABELS "integration${VARIANT_LABELS}"
      ENVIRONMENT "${VARIANT_ENV}"
      TIMEOUT 900)
  endif()
endforeach()
