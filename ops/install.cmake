# install.cmake - what `cmake --install` lays out, and the Debian package cpack
# makes of it (`cpack -G DEB`):
#   bin/                        rollcall-agg, rollcall-school
#   lib/systemd/system/         rollcall-agg@.service, rollcall-agg-backup@.service and
#                               .timer, rollcall-school-watch.service,
#                               rollcall-school-sync.service and .timer
#   /etc/rollcall/examples/     agg.conf, school.conf (PREFIX/etc unless PREFIX is /usr)
#   share/doc/rollcall/         README.md, RUNBOOK.md, SECURITY.md, examples/
#   share/man/man1/             rollcall-agg.1, rollcall-school.1
include(GNUInstallDirs)

set(ROLLCALL_OPS ${CMAKE_CURRENT_LIST_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${ROLLCALL_OPS}/RUNBOOK.md ${ROLLCALL_OPS}/SECURITY.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${ROLLCALL_OPS}/examples/agg.conf ${ROLLCALL_OPS}/examples/school.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${ROLLCALL_OPS}/man/rollcall-agg.1 ${ROLLCALL_OPS}/man/rollcall-school.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(CODE "set(ROLLCALL_OPS \"${ROLLCALL_OPS}\")
set(ROLLCALL_STAGE \"${CMAKE_BINARY_DIR}/ops-stage\")")
install(SCRIPT ${ROLLCALL_OPS}/install_units.cmake)

set(CPACK_PACKAGE_NAME rollcall)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rollcall maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "no student missed when schools close: school lists, county and province aggregators")
set(CPACK_PACKAGE_DESCRIPTION
    "rollcall-school keeps a school's students and their conditions for learning at home and\n\
syncs them to the county; rollcall-agg runs a county, city or province aggregator.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# cpack installs with DESTDIR and the real prefix, so /etc lands in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libzmq5, libsodium23, libprotobuf-c1, libsqlite3-0, zlib1g")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ROLLCALL_OPS}/debian/postinst ${ROLLCALL_OPS}/debian/prerm
    ${ROLLCALL_OPS}/debian/postrm ${ROLLCALL_OPS}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
