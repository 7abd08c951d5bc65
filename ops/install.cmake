# install.cmake - what `cmake --install` lays out, and the Debian package cpack
# makes of it (`cpack -G DEB`):
#   bin/                        rollcall-agg, rollcall-school
#   lib/systemd/system/         rollcall-agg@.service, rollcall-agg-backup@.service and
#                               .timer, rollcall-school-watch.service,
#                               rollcall-school-sync.service and .timer
#   /etc/rollcall/examples/     agg.conf, school.conf (PREFIX/etc unless PREFIX is /usr)
#   share/doc/rollcall/         README.md, RUNBOOK.md, SECURITY.md, examples/ (the .conf
#                               files, the nginx site, the Prometheus rules), copyright,
#                               changelog.Debian.gz
#   share/man/man1/             rollcall-agg.1.gz, rollcall-school.1.gz
#   share/lintian/overrides/    rollcall (tags that do not apply, with why)
# The package's Depends are found by dpkg-shlibdeps from the programs' libraries; it is
# built from a build with Debian's hardening flags (ROLLCALL_HARDENING, CMakeLists.txt).
include(GNUInstallDirs)

set(ROLLCALL_OPS ${CMAKE_CURRENT_LIST_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${ROLLCALL_OPS}/RUNBOOK.md ${ROLLCALL_OPS}/SECURITY.md
              ${ROLLCALL_OPS}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${ROLLCALL_OPS}/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME rollcall)
install(FILES ${ROLLCALL_OPS}/examples/agg.conf ${ROLLCALL_OPS}/examples/school.conf
              ${ROLLCALL_OPS}/nginx/rollcall-dashboard.conf
              ${ROLLCALL_OPS}/prometheus/rollcall-rules.yml
              ${ROLLCALL_OPS}/prometheus/rollcall-rules.test.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(CODE "set(ROLLCALL_OPS \"${ROLLCALL_OPS}\")
set(ROLLCALL_STAGE \"${CMAKE_BINARY_DIR}/ops-stage\")")
install(SCRIPT ${ROLLCALL_OPS}/install_units.cmake)

set(CPACK_PACKAGE_NAME rollcall)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The Debian revision: ops/debian/changelog's first entry is PROJECT_VERSION-RELEASE.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# The package's Maintainer field: a bureau building its own package names itself here.
set(ROLLCALL_MAINTAINER "rollcall maintainers <rollcall@example.org>" CACHE STRING
    "Maintainer field of the Debian package: Name <address>")
set(CPACK_PACKAGE_CONTACT "${ROLLCALL_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "no student missed when schools close: school lists and aggregators")
set(CPACK_PACKAGE_DESCRIPTION
    "rollcall-school keeps a school's students and their conditions for learning\n\
at home and syncs them to the county; rollcall-agg runs a county, city or\n\
province aggregator.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# cpack installs with DESTDIR and the real prefix, so /etc lands in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What the maintainer scripts call; the libraries come from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ROLLCALL_OPS}/debian/postinst ${ROLLCALL_OPS}/debian/prerm
    ${ROLLCALL_OPS}/debian/postrm ${ROLLCALL_OPS}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
