# A Debian package of what `cmake --install` puts in place: `cpack -G DEB`
# in the build tree (scripts/package-deb.sh builds one and runs lintian).
#
# Dependencies are the shared libraries the binary links, found by
# dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS), so they follow the machine
# it is built on instead of a hand-kept list. The package installs under /usr
# (not /usr/local), with the copyright file and changelog Debian policy asks for.

include(GNUInstallDirs)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME s3migrate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# A packaging revision: the package is not Debian-native (its changelog is
# changelog.Debian.gz), and a rebuilt package can be told apart.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Whoever builds and ships the package is its maintainer: say who.
set(S3M_DEB_MAINTAINER "s3migrate maintainers <maintainers@s3migrate.org>"
    CACHE STRING "The Maintainer field of the .deb (name <email>)")
set(CPACK_PACKAGE_CONTACT "${S3M_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "move everything out of Amazon S3 onto local disk, safely")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended
# description below it (CPack indents it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "s3migrate inventories every bucket of an Amazon S3 (or S3-compatible)
account into an SQLite state database, downloads every object to local
disk in parallel, restores Glacier and Deep Archive objects by itself,
verifies each copy with the strongest checksum S3 offers, and deletes an
object from S3 only after its verified copy is durable on disk. It runs
unattended until done and resumes after an interruption or a crash.")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_STRIP_FILES ON)

# Debian policy 12.5 and 12.7: /usr/share/doc/<package>/copyright and a
# compressed changelog (gzip -9n: no name or timestamp, reproducible).
set(S3M_DEB_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(
  OUTPUT ${S3M_DEB_CHANGELOG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog > ${S3M_DEB_CHANGELOG}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog
  VERBATIM)
add_custom_target(s3m_deb_changelog ALL DEPENDS ${S3M_DEB_CHANGELOG})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${S3M_DEB_CHANGELOG}
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(CPack)
