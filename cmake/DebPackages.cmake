# cmake/DebPackages.cmake: the Debian packages, made by CPack from the install components
# (docs/packaging.md, "Debian packages"): `cpack --config BUILD/CPackConfig.cmake -G DEB` or
# `cmake --build BUILD --target package`. One package per component, the two -dev ones together:
#   libferry         device       libferry.so.0, libferry_c.so.0 (SQLite, libcurl, zlib; no libpq)
#   libferry-server  server       libferry_server.so.0, libferry_c_server.so.0 (libpqxx)
#   libferry-dev     device_dev + server_dev: headers, .so links, the CMake package, the .pc files
#   ferry-tools      tools        /usr/bin/ferry
#   python3-ferry    python       the module in /usr/lib/python3/dist-packages
# dpkg-shlibdeps (dpkg-dev) writes the Depends on Debian's libraries; the ones between Ferry's
# packages are exact (= VERSION-RELEASE): they are built together and the ABI is not stable in 0.x.

set(FERRY_DEB_MAINTAINER "Ferry maintainers <maintainers@users.noreply.b-seed-92eedef4.example>"
    CACHE STRING "The Maintainer field of the Debian packages")
set(FERRY_DEB_RELEASE 1 CACHE STRING "The Debian revision: the packages' version is ${PROJECT_VERSION}-RELEASE")
set(FERRY_DEB_VERSION "${PROJECT_VERSION}-${FERRY_DEB_RELEASE}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION-RELEASE_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${FERRY_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${FERRY_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SOURCE ferry)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for the two library packages: what a package built against libferry-dev depends on.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Drops the $ORIGIN RUNPATHs under /usr and shows dpkg-shlibdeps the staged libraries.
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/DebPackagesScript.cmake)

set(CPACK_COMPONENTS_ALL device device_dev)
set(CPACK_COMPONENT_DEVICE_DEV_GROUP dev)
set(CPACK_COMPONENT_SERVER_DEV_GROUP dev)
set(ferry_deb_libs "libferry (= ${FERRY_DEB_VERSION})")
if(FERRY_BUILD_SERVER)
  list(APPEND CPACK_COMPONENTS_ALL server server_dev tools)
  set(ferry_deb_libs "libferry (= ${FERRY_DEB_VERSION}), libferry-server (= ${FERRY_DEB_VERSION})")
endif()
if(FERRY_BUILD_PYTHON)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()

string(CONCAT ferry_deb_about
       "Ferry keeps an app's data in a SQLite file on the device, captures every\n"
       "local change, pushes it to PostgreSQL and pulls what changed in the cloud,\n"
       "settling conflicts per column by last-writer-wins.\n")

set(CPACK_DEBIAN_DEVICE_PACKAGE_NAME libferry)
set(CPACK_DEBIAN_DEVICE_PACKAGE_SECTION libs)
string(CONCAT CPACK_DEBIAN_DEVICE_DESCRIPTION
       "embedded local-first store with sync to PostgreSQL (device library)\n" "${ferry_deb_about}" ".\n"
       "This package holds the device library libferry (C++17) and its C API,\n"
       "libferry_c. They use SQLite, libcurl and zlib, never libpq: they are what\n"
       "an app on a phone or a laptop ships.")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME libferry-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "libferry (= ${FERRY_DEB_VERSION})")
string(CONCAT CPACK_DEBIAN_SERVER_DESCRIPTION
       "embedded local-first store with sync to PostgreSQL (server library)\n" "${ferry_deb_about}" ".\n"
       "This package holds libferry_server, the server side (schema installer,\n"
       "merge, pull, id leases) and the direct PostgreSQL transport over libpqxx,\n"
       "and libferry_c_server, the C API's direct-PostgreSQL functions.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libferry-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${ferry_deb_libs}")
string(CONCAT CPACK_DEBIAN_DEV_DESCRIPTION
       "embedded local-first store with sync to PostgreSQL (development files)\n" "${ferry_deb_about}" ".\n"
       "This package holds the C++ headers and the C API's ferry/ferry.h, the links\n"
       "to the libraries, the CMake package (find_package(ferry) gives ferry::ferry\n"
       "and ferry::c, and with COMPONENTS server ferry::server and ferry::c_server)\n"
       "and the pkg-config files ferry, ferry-c and ferry-server.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ferry-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION database)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${ferry_deb_libs}")
string(CONCAT CPACK_DEBIAN_TOOLS_DESCRIPTION
       "embedded local-first store with sync to PostgreSQL (the ferry command)\n" "${ferry_deb_about}" ".\n"
       "This package holds the ferry command: device stores (init, exec, query,\n"
       "status, rejected, doctor), the cloud schema (server init, server trim),\n"
       "sync, the HTTP sync gateway (ferry gateway) and live sync (ferry daemon,\n"
       "with systemd notifications).")

set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-ferry)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
if(FERRY_BUILD_PYTHON)
  # The module is built for one Python (ferry.cpython-XY-...so): say so as dh_python3 would.
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)$" ferry_py "${FERRY_PYTHON_VERSION}")
  math(EXPR ferry_py_next "${CMAKE_MATCH_2} + 1")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
      "${ferry_deb_libs}, python3 (>= ${FERRY_PYTHON_VERSION}~), python3 (<< ${CMAKE_MATCH_1}.${ferry_py_next})")
endif()
string(CONCAT CPACK_DEBIAN_PYTHON_DESCRIPTION
       "embedded local-first store with sync to PostgreSQL (Python 3 module)\n" "${ferry_deb_about}" ".\n"
       "This package holds the Python 3 module: import ferry gives stores, queries\n"
       "with parameters, transactions, sync directly or through the gateway,\n"
       "rejected writes and the live sync service, with type hints (ferry.pyi).")

include(CPack)
