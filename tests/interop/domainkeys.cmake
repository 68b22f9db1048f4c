# DomainKeys (RFC 4870) interop with Mail::DKIM (libmail-dkim-perl), both ways:
# domainkeys_interop.pl signs with each side and verifies with the other, and
# runs the negative cases. Keys are served to Mail::DKIM through a resolver
# object and to signet through an unbound configuration file; no network.
# The Debian perl is used on purpose: libmail-dkim-perl lives there.
set(SIGNET_INTEROP_PERL /usr/bin/perl CACHE FILEPATH
    "Perl with Mail::DKIM (libmail-dkim-perl) for the DomainKeys interop test")

add_test(NAME interop_domainkeys
         COMMAND ${SIGNET_INTEROP_PERL} ${CMAKE_CURRENT_LIST_DIR}/domainkeys_interop.pl
                 --signet $<TARGET_FILE:signet>)
set_tests_properties(interop_domainkeys PROPERTIES
  LABELS interop
  TIMEOUT 300)
