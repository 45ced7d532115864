# `cmake --install` layout and the CPack .deb.
#   bin/                          igtbridge and its tools
#   share/igtbridge/config/       igtbridge.yaml (the documented defaults)
#   share/igtbridge/models/       the demo models as TorchScript files
#   share/igtbridge/data/         the bundled PLUS recording (BSD-3, PlusLibData) for replay/bench
#   share/igtbridge/scripts/      Slicer scripts, the KPI plot and the demo report
#   share/igtbridge/systemd/      igtbridge.service, an example unit (not enabled)
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
install(FILES ${PROJECT_SOURCE_DIR}/packaging/igtbridge.service
  DESTINATION ${CMAKE_INSTALL_DATADIR}/igtbridge/systemd)
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
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-numpy, python3-matplotlib")
set(CPACK_GENERATOR DEB)
include(CPack)
