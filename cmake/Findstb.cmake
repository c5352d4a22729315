# Findstb
# -------
# Finds the stb single-file libraries as packaged by Debian (libstb-dev):
# headers under <prefix>/include/stb and the compiled implementations in libstb.
#
# Imported target: stb::stb. Result variables: stb_FOUND, STB_INCLUDE_DIR.

find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb)
find_library(STB_LIBRARY NAMES stb)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(stb REQUIRED_VARS STB_INCLUDE_DIR STB_LIBRARY)

if(stb_FOUND AND NOT TARGET stb::stb)
  add_library(stb::stb INTERFACE IMPORTED)
  set_target_properties(stb::stb PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${STB_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${STB_LIBRARY};m")
endif()
mark_as_advanced(STB_INCLUDE_DIR STB_LIBRARY)
