# install_units.cmake - run by `cmake --install` (and cpack): the systemd units
# and the example configuration, laid out for the prefix installed to, which
# is only known then (`cmake --install --prefix`, cpack's /usr); the man pages
# and the Debian changelog, compressed as Debian wants them (gzip -9n: no name
# or time inside, so the same file gives the same bytes).
# (file(INSTALL) puts DESTDIR in front by itself.)
#
# Needs ROLLCALL_OPS (this folder) and ROLLCALL_STAGE (a scratch folder in the
# build tree), set by install.cmake.
set(prefix "${CMAKE_INSTALL_PREFIX}")
# Debian's /usr keeps its configuration in /etc; any other prefix in PREFIX/etc.
if(prefix STREQUAL "/usr")
  set(etc "/etc")
else()
  set(etc "${prefix}/etc")
endif()
set(BINDIR "${prefix}/bin")
set(DOCDIR "${prefix}/share/doc/rollcall")
file(READ "${ROLLCALL_OPS}/systemd/hardening.inc" HARDENING)
string(STRIP "${HARDENING}" HARDENING)

# One scratch folder per destination: cpack and a plain install may run at once.
string(MD5 stage_key "$ENV{DESTDIR}|${prefix}")
set(stage "${ROLLCALL_STAGE}/${stage_key}")
set(units)
foreach(name rollcall-agg@.service rollcall-agg-backup@.service rollcall-school-watch.service
             rollcall-school-sync.service)
  configure_file("${ROLLCALL_OPS}/systemd/${name}.in" "${stage}/${name}" @ONLY)
  list(APPEND units "${stage}/${name}")
endforeach()
list(APPEND units "${ROLLCALL_OPS}/systemd/rollcall-school-sync.timer"
     "${ROLLCALL_OPS}/systemd/rollcall-agg-backup@.timer")
file(INSTALL ${units} DESTINATION "${prefix}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${ROLLCALL_OPS}/examples/agg.conf" "${ROLLCALL_OPS}/examples/school.conf"
     DESTINATION "${etc}/rollcall/examples"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

find_program(GZIP gzip REQUIRED)
foreach(source man/rollcall-agg.1 man/rollcall-school.1 debian/changelog)
  get_filename_component(name "${source}" NAME)
  if(name STREQUAL "changelog")
    set(name changelog.Debian)
  endif()
  execute_process(COMMAND "${GZIP}" -9n -c "${ROLLCALL_OPS}/${source}"
                  OUTPUT_FILE "${stage}/${name}.gz" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
file(INSTALL "${stage}/rollcall-agg.1.gz" "${stage}/rollcall-school.1.gz"
     DESTINATION "${prefix}/share/man/man1"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${stage}/changelog.Debian.gz" DESTINATION "${DOCDIR}"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
