# The Windows artifact: one folder, rollcall-school-win64/, holding
# rollcall-school.exe and every DLL it loads (from ROLLCALL_WIN_DEPS/bin, the
# prefix ops/win-deps fills) and school-page.cmd (ops/win/: the school's page,
# its store beside it, for a clerk to double-click), and the same folder as a
# zip beside it.
set(ROLLCALL_WIN_DEPS "" CACHE PATH "Prefix of the mingw libraries built by ops/win-deps")
set(ROLLCALL_WIN_DIR ${CMAKE_BINARY_DIR}/rollcall-school-win64)
file(GLOB ROLLCALL_WIN_DLLS ${ROLLCALL_WIN_DEPS}/bin/*.dll)
add_custom_target(win-package ALL
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${ROLLCALL_WIN_DIR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${ROLLCALL_WIN_DIR}
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:rollcall-school> ${ROLLCALL_WIN_DLLS}
          ${CMAKE_SOURCE_DIR}/ops/win/school-page.cmd ${ROLLCALL_WIN_DIR}
  COMMAND ${CMAKE_COMMAND} -E tar cf ${ROLLCALL_WIN_DIR}.zip --format=zip rollcall-school-win64
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  DEPENDS rollcall-school
  COMMENT "rollcall-school-win64/ and rollcall-school-win64.zip")
