# cmake/DebPackagesScript.cmake: CPack runs this (CPACK_PRE_BUILD_SCRIPTS) once every component
# is staged and before it builds the packages (cmake/DebPackages.cmake).
# - A .deb installs under /usr, where the libraries are on the loader's default path: it drops the
#   $ORIGIN RUNPATHs that keep a `cmake --install --prefix ANYWHERE` relocatable (Debian policy:
#   no RPATH to a system directory). Another CPACK_PACKAGING_INSTALL_PREFIX keeps them.
# - dpkg-shlibdeps must find libferry.so.0 for ferry-tools, whose staging directory does not
#   hold it: CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS names the staged library directories.
#   (CPack reads it after this script in the same scope; if a CMake stopped doing so,
#   dpkg-shlibdeps would fail with "cannot find library", not build wrong packages.)
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
# Without dpkg-shlibdeps CPack would quietly leave out every Depends on Debian's libraries.
find_program(FERRY_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(FERRY_FILE file)
if(NOT FERRY_DPKG_SHLIBDEPS OR NOT FERRY_FILE)
  message(FATAL_ERROR "ferry: the Debian packages need dpkg-shlibdeps and file: apt-get install dpkg-dev file "
                      "(scripts/deps.sh installs them)")
endif()

file(GLOB_RECURSE ferry_staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_DIRECTORY}/*")
set(ferry_lib_dirs "")
foreach(f IN LISTS ferry_staged)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  file(READ "${f}" ferry_magic LIMIT 4 HEX)
  if(NOT ferry_magic STREQUAL "7f454c46")  # not ELF
    continue()
  endif()
  if(CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
    file(RPATH_REMOVE FILE "${f}")
  endif()
  get_filename_component(ferry_name "${f}" NAME)
  if(ferry_name MATCHES "^lib.*\\.so\\.[0-9]")
    get_filename_component(ferry_dir "${f}" DIRECTORY)
    list(APPEND ferry_lib_dirs "${ferry_dir}")
  endif()
endforeach()
list(REMOVE_DUPLICATES ferry_lib_dirs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${ferry_lib_dirs})
