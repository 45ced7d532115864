# `cmake --install` layout and the CPack .deb.
#   bin/                          igtbridge and its tools
#   share/igtbridge/config/       igtbridge.yaml (the documented defaults)
#   share/igtbridge/models/       the demo models as TorchScript files
#   share/igtbridge/data/         the bundled PLUS recording (BSD-3, PlusLibData) for replay/bench
#   share/igtbridge/scripts/      Slicer scripts, the KPI plot and the demo report
#   share/igtbridge/systemd/      igtbridge.service and igtbridge.sysusers, for reference
# and, where the prefix is /usr (the .deb; `DESTDIR=... cmake --install build
# --prefix /usr`), the system integration of a Debian service:
#   /etc/igtbridge/igtbridge.yaml        the configuration (a conffile in the .deb)
#   /lib/systemd/system/igtbridge.service   the unit (Debian 12's unit directory; not enabled)
#   /usr/lib/sysusers.d/igtbridge.conf   the system user, made by the .deb's postinst
# Any other prefix (/usr/local, a scratch directory) writes nothing outside it.
#   share/doc/igtbridge/          README, LICENSE, docs/
#   share/man/man1/               a man page per program (from --help, where help2man is installed)
include(GNUInstallDirs)

install(TARGETS igtbridge igtbridge-replay igtbridge-listen igtbridge-bench igtbridge-models
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/config/igtbridge.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/config)
install(FILES ${PROJECT_BINARY_DIR}/models/demo_detector.pt ${PROJECT_BINARY_DIR}/models/demo_encoder.pt
              ${PROJECT_BINARY_DIR}/models/demo_decoder.pt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/models)
install(FILES ${PROJECT_SOURCE_DIR}/tests/data/SpinePhantomFreehand.igs.mha
              ${PROJECT_SOURCE_DIR}/tests/data/LICENSE-PlusLibData
  DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/data)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/slicer_setup.py ${PROJECT_SOURCE_DIR}/scripts/slicer_check.py
                 ${PROJECT_SOURCE_DIR}/scripts/plot_kpi.py ${PROJECT_SOURCE_DIR}/scripts/demo_report.py
  DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/scripts)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/igtbridge.service ${PROJECT_SOURCE_DIR}/packaging/igtbridge.sysusers
  DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/systemd)
# Decided at install time, where the prefix is known (the .deb's is /usr);
# file(INSTALL) puts DESTDIR in front of these absolute paths.
install(CODE "set(_igtb_packaging \"${PROJECT_SOURCE_DIR}/packaging\")
  set(_igtb_config \"${PROJECT_SOURCE_DIR}/config/igtbridge.yaml\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    file(INSTALL DESTINATION "/etc/igtbridge" TYPE FILE FILES "${_igtb_config}")
    file(INSTALL DESTINATION "/lib/systemd/system" TYPE FILE FILES "${_igtb_packaging}/igtbridge.service")
    file(INSTALL DESTINATION "/usr/lib/sysusers.d" TYPE FILE RENAME igtbridge.conf
         FILES "${_igtb_packaging}/igtbridge.sysusers")
  endif()
]])
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
if(IGTB_MAN_PAGES)
  install(FILES ${IGTB_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# .deb: `cpack -G DEB` in the build directory. The dependencies are computed
# from the binaries by dpkg-shlibdeps, so they name exactly the Debian
# packages the build linked (libtorch, OpenIGTLink, spdlog, fmt, yaml-cpp, zlib).
set(CPACK_PACKAGE_NAME igtbridge)
set(CPACK_PACKAGE_VENDOR "the igtbridge developers")
set(CPACK_PACKAGE_CONTACT "igtbridge developers <igtbridge@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Real-time OpenIGTLink bridge: ultrasound IMAGE in, label map + contours to 3D Slicer")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# DESTDIR staging, so that the install above sees the prefix /usr and the
# absolute /etc and /lib paths land in the package, not on this machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-numpy, python3-matplotlib")
# The configuration is a conffile (an edited one survives upgrades, goes on
# purge); postinst makes the system user; the unit is not enabled.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
