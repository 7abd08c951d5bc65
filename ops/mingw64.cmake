# CMake toolchain for 64-bit Windows with Debian's mingw-w64 (x86_64-w64-mingw32).
# Used by ops/win-deps (libzmq) and ops/win-build (rollcall-school).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
# Windows 10: libzmq derives _WIN32_WINNT from it (empty otherwise, which breaks its headers).
set(CMAKE_SYSTEM_VERSION 10.0)
set(ROLLCALL_MINGW_HOST x86_64-w64-mingw32)
# The posix thread model: libzmq and the program use C11/C++11 threads through winpthread.
find_program(CMAKE_C_COMPILER NAMES ${ROLLCALL_MINGW_HOST}-gcc-posix ${ROLLCALL_MINGW_HOST}-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${ROLLCALL_MINGW_HOST}-g++-posix ${ROLLCALL_MINGW_HOST}-g++)
set(CMAKE_RC_COMPILER ${ROLLCALL_MINGW_HOST}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${ROLLCALL_MINGW_HOST})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
