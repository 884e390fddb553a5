# Locates one LLVM/Clang installation through llvm-config (newest first) and
# defines the imported target ember::clang_llvm (libclang C API, libclang-cpp,
# libLLVM) plus EMBER_CLANG_RESOURCE_DIR (clang's builtin headers).
# Debian's ClangConfig.cmake references tool binaries that are not installed
# with the -dev packages, so we do not use find_package(Clang).
find_program(LLVM_CONFIG NAMES llvm-config-16 llvm-config-15 llvm-config-14 llvm-config
             DOC "llvm-config of the LLVM/Clang to build against")
if(NOT LLVM_CONFIG)
  message(FATAL_ERROR "llvm-config not found: apt-get install llvm-dev libclang-dev libclang-cpp-dev")
endif()
execute_process(COMMAND ${LLVM_CONFIG} --version OUTPUT_VARIABLE LLVM_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${LLVM_CONFIG} --includedir OUTPUT_VARIABLE LLVM_INCLUDE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${LLVM_CONFIG} --libdir OUTPUT_VARIABLE LLVM_LIB_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX MATCH "^[0-9]+" LLVM_VERSION_MAJOR "${LLVM_VERSION}")

find_library(LIBCLANG_LIB NAMES clang libclang.so.1 PATHS ${LLVM_LIB_DIR} NO_DEFAULT_PATH)
find_library(LIBCLANG_CPP_LIB NAMES clang-cpp PATHS ${LLVM_LIB_DIR} NO_DEFAULT_PATH)
find_library(LIBLLVM_LIB NAMES LLVM-${LLVM_VERSION_MAJOR} LLVM PATHS ${LLVM_LIB_DIR} NO_DEFAULT_PATH)
foreach(lib LIBCLANG_LIB LIBCLANG_CPP_LIB LIBLLVM_LIB)
  if(NOT ${lib})
    message(FATAL_ERROR "${lib} not found in ${LLVM_LIB_DIR}: apt-get install libclang-dev libclang-cpp-dev llvm-dev")
  endif()
endforeach()

file(GLOB _resource_dirs LIST_DIRECTORIES true "${LLVM_LIB_DIR}/clang/*")
list(SORT _resource_dirs)
list(GET _resource_dirs -1 EMBER_CLANG_RESOURCE_DIR)
if(NOT EXISTS "${EMBER_CLANG_RESOURCE_DIR}/include/stddef.h")
  message(FATAL_ERROR "clang resource dir not found under ${LLVM_LIB_DIR}/clang")
endif()

add_library(ember::clang_llvm INTERFACE IMPORTED)
set_target_properties(ember::clang_llvm PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LLVM_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${LIBCLANG_LIB};${LIBCLANG_CPP_LIB};${LIBLLVM_LIB}")
message(STATUS "ember: LLVM/Clang ${LLVM_VERSION} (${LLVM_LIB_DIR}), resource dir ${EMBER_CLANG_RESOURCE_DIR}")
