# DomainKeys (RFC 4870) interop with Mail::DKIM (libmail-dkim-perl), both ways:
# domainkeys_interop.pl signs with each side and verifies with the other, and
# runs the negative cases. Keys are served to Mail::DKIM through a resolver
# object and to signet through an unbound configuration file; no network.
# The Debian perl is used on purpose: libmail-dkim-perl lives there.
set(SIGNET_INTEROP_PERL /usr/bin/perl CACHE FILEPATH
    "Perl with Mail::DKIM (libmail-dkim-perl) for the DomainKeys interop test")

foreach(variant IN LISTS SIGNET_TEST_VARIANTS)
  signet_variant(${variant})
  add_test(NAME interop_domainkeys${SFX}
           COMMAND ${SIGNET_INTEROP_PERL} ${CMAKE_CURRENT_LIST_DIR}/domainkeys_interop.pl
                   --signet $<TARGET_FILE:signet${SFX}>)
  set_tests_properties(interop_domainkeys${SFX} PROPERTIES
    LABELS "interop${VARIANT_LABELS}"
    ENVIRONMENT "${VARIANT_ENV}"
    TIMEOUT 300)
endforeach()
