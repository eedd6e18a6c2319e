# Shared CMake for server adapters (this folder has no CMakeLists.txt, so it is not a plugin).
#
#   labour_add_plugin(server_<name> KIND server SOURCES <name>.cpp OUTPUT_NAME <name>)
#   labour_server_adapter(server_<name> [BOOTSTRAP <file.py>])
#
# Gives the adapter the shared header, embeds its Python bootstrap (if any) as the C array
# labour_<target>_bootstrap (+ _size) and, with it, the shared labour_prelude.py that every
# bootstrap imports (labour_server_bootstrap_prelude), and records the target in the global property
# LABOUR_SERVER_ADAPTER_TARGETS so tests/servers can depend on every adapter.
function(labour_server_adapter target)
  cmake_parse_arguments(ARG "" "BOOTSTRAP" "" ${ARGN})
  target_include_directories(${target} PRIVATE "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  if(ARG_BOOTSTRAP)
    set(embed "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../../../sdk/cmake/LabourEmbed.cmake")
    get_filename_component(input "${ARG_BOOTSTRAP}" ABSOLUTE)
    set(symbol "labour_${target}_bootstrap")
    set(output "${CMAKE_CURRENT_BINARY_DIR}/${symbol}.cpp")
    add_custom_command(
      OUTPUT "${output}"
      COMMAND "${CMAKE_COMMAND}" -DINPUT=${input} -DOUTPUT=${output} -DSYMBOL=${symbol}
              -P "${embed}"
      DEPENDS "${input}" "${embed}"
      COMMENT "Embedding ${ARG_BOOTSTRAP} into ${target}")
    target_sources(${target} PRIVATE "${output}")
    # Every bootstrap imports the shared prelude, written next to it in the run dir.
    set(prelude "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/labour_prelude.py")
    set(prelude_output "${CMAKE_CURRENT_BINARY_DIR}/labour_server_bootstrap_prelude.cpp")
    add_custom_command(
      OUTPUT "${prelude_output}"
      COMMAND "${CMAKE_COMMAND}" -DINPUT=${prelude} -DOUTPUT=${prelude_output}
              -DSYMBOL=labour_server_bootstrap_prelude -P "${embed}"
      DEPENDS "${prelude}" "${embed}"
      COMMENT "Embedding labour_prelude.py into ${target}")
    target_sources(${target} PRIVATE "${prelude_output}")
  endif()
  set_property(GLOBAL APPEND PROPERTY LABOUR_SERVER_ADAPTER_TARGETS ${target})
endfunction()
