# embed_files(OUT <c file> NAME <symbol> FILES <path>... [STRIP <prefix>])
# Generates a C file holding each file's text as a NUL-terminated array and a
# table {virtual path, text, length} named <symbol>; used for the headers the
# compiler serves from memory.
function(embed_files)
  cmake_parse_arguments(E "" "OUT;NAME" "FILES;PREFIXES" ${ARGN})
  set(deps)
  set(args)
  list(LENGTH E_FILES n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    list(GET E_FILES ${i} f)
    list(GET E_PREFIXES ${i} p)
    list(APPEND deps ${f})
    list(APPEND args "${f}=${p}")
  endforeach()
  add_custom_command(OUTPUT ${E_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUT} -DNAME=${E_NAME} "-DENTRIES=${args}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${deps} ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding ${E_NAME}" VERBATIM)
endfunction()
