# FindFFTW3
# ---------
# Finds FFTW 3 (double and single precision, each with its threads library).
# Debian's libfftw3-dev ships no CMake package config, so we look for the
# headers and libraries directly.
#
# Imported targets:
#   FFTW3::fftw3          double precision + threads
#   FFTW3::fftw3f         single precision + threads
# Result variables: FFTW3_FOUND, FFTW3_INCLUDE_DIR

find_path(FFTW3_INCLUDE_DIR fftw3.h)
find_library(FFTW3_LIBRARY NAMES fftw3)
find_library(FFTW3_THREADS_LIBRARY NAMES fftw3_threads)
find_library(FFTW3F_LIBRARY NAMES fftw3f)
find_library(FFTW3F_THREADS_LIBRARY NAMES fftw3f_threads)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FFTW3
  REQUIRED_VARS FFTW3_INCLUDE_DIR FFTW3_LIBRARY FFTW3_THREADS_LIBRARY
                FFTW3F_LIBRARY FFTW3F_THREADS_LIBRARY)

if(FFTW3_FOUND)
  find_package(Threads REQUIRED)
  if(NOT TARGET FFTW3::fftw3)
    add_library(FFTW3::fftw3 INTERFACE IMPORTED)
    set_target_properties(FFTW3::fftw3 PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${FFTW3_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${FFTW3_THREADS_LIBRARY};${FFTW3_LIBRARY};Threads::Threads")
  endif()
  if(NOT TARGET FFTW3::fftw3f)
    add_library(FFTW3::fftw3f INTERFACE IMPORTED)
    set_target_properties(FFTW3::fftw3f PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${FFTW3_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${FFTW3F_THREADS_LIBRARY};${FFTW3F_LIBRARY};Threads::Threads")
  endif()
endif()
mark_as_advanced(FFTW3_INCLUDE_DIR FFTW3_LIBRARY FFTW3_THREADS_LIBRARY
                 FFTW3F_LIBRARY FFTW3F_THREADS_LIBRARY)
