# labour_add_plugin(<target> KIND behaviour|server|reporter SOURCES ... [WORKER file.py])
#
# Builds one plugin as a MODULE library named labour_<kind>_<name>.so (the host checks the
# kind in the file name against the descriptor). WORKER embeds a behaviour's Python worker
# half into the same .so, so one file ships both halves; it is compiled first by the
# interpreter the servers run (LABOUR_WORKER_PYTHON, /usr/bin/python3), so a syntax error
# fails the build with Python's own message instead of a server that will not start.
set(LABOUR_WORKER_PYTHON "/usr/bin/python3" CACHE FILEPATH "Python that compiles behaviours' worker halves")
function(labour_add_plugin target)
  cmake_parse_arguments(ARG "" "KIND;WORKER;OUTPUT_NAME" "SOURCES" ${ARGN})
  if(NOT ARG_KIND MATCHES "^(behaviour|server|reporter)$")
    message(FATAL_ERROR "labour_add_plugin(${target}): KIND must be behaviour, server or reporter")
  endif()
  if(ARG_KIND STREQUAL "behaviour" AND NOT ARG_WORKER)
    message(FATAL_ERROR "labour_add_plugin(${target}): a behaviour needs WORKER <file.py>")
  endif()
  set(sources ${ARG_SOURCES})
  if(ARG_WORKER)
    get_filename_component(worker "${ARG_WORKER}" ABSOLUTE)
    set(embedded "${CMAKE_CURRENT_BINARY_DIR}/${target}_worker_source.cpp")
    # compile() only: nothing is written next to the source (no __pycache__).
    add_custom_command(
      OUTPUT "${embedded}"
      COMMAND "${LABOUR_WORKER_PYTHON}" -c "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')"
              "${worker}"
      COMMAND "${CMAKE_COMMAND}" -DINPUT=${worker} -DOUTPUT=${embedded}
              -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/LabourEmbed.cmake"
      DEPENDS "${worker}" "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/LabourEmbed.cmake"
      COMMENT "Compiling and embedding ${ARG_WORKER} into ${target}"
      VERBATIM)
    list(APPEND sources "${embedded}")
  endif()
  add_library(${target} MODULE ${sources})
  target_link_libraries(${target} PRIVATE labour::sdk)
  if(NOT ARG_OUTPUT_NAME)
    set(ARG_OUTPUT_NAME "${target}")
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "labour_${ARG_KIND}_" OUTPUT_NAME "${ARG_OUTPUT_NAME}"
    CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED LABOUR_PLUGIN_SUBDIR) # in labour's own tree: install next to the binary
    install(TARGETS ${target} LIBRARY DESTINATION "${LABOUR_PLUGIN_SUBDIR}")
  endif()
endfunction()
