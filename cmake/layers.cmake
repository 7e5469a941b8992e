# One static library per folder of etl/ (a "layer"), each linking only the layers below it and
# the third-party libraries it uses. Two checks make the graph the build's, not a convention:
# - includes: a layer's sources may include only its own headers and those of the layers it
#   links, directly or through them; the check runs whenever a source or header of the layer
#   changes, and fails the build naming the file, the line and the edge.
# - links: each layer is also linked once into a shared object with --no-undefined, from the
#   whole archive and its declared dependencies only, so a call into a layer it does not link
#   fails to link even when no header says so (a declaration copied by hand, an extern).
# A layer can only depend on layers defined before it, so the graph has no cycles.

include_guard(GLOBAL)

option(PINPIPE_CHECK_LAYER_LINKS "Link each etl/ layer alone with --no-undefined" ON)
if(PINPIPE_SANITIZE)
  # The sanitizers' runtime is linked into executables only: a shared object of sanitized code has
  # undefined __asan_* symbols by design.
  set(PINPIPE_CHECK_LAYER_LINKS OFF)
endif()

set(PINPIPE_LAYER_EMPTY_SOURCE ${CMAKE_BINARY_DIR}/generated/layer_link_check.cpp)
file(WRITE ${PINPIPE_LAYER_EMPTY_SOURCE}.tmp "// A shared object made of one layer's archive (cmake/layers.cmake).\n")
file(COPY_FILE ${PINPIPE_LAYER_EMPTY_SOURCE}.tmp ${PINPIPE_LAYER_EMPTY_SOURCE} ONLY_IF_DIFFERENT)

# pinpipe_layer(<folder> [DEPENDS <layer>...] [LIBRARIES <target>...] [SOURCES <file>...])
# defines the target pinpipe_<folder> from etl/<folder>/*.cpp plus SOURCES.
function(pinpipe_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "DEPENDS;LIBRARIES;SOURCES")
  set(dir ${PROJECT_SOURCE_DIR}/etl/${name})
  set(target pinpipe_${name})
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  file(GLOB headers CONFIGURE_DEPENDS ${dir}/*.hpp)

  set(allowed ${name})
  set(dependency_targets)
  foreach(dependency IN LISTS arg_DEPENDS)
    get_property(below GLOBAL PROPERTY pinpipe_layer_${dependency}_reaches)
    if(NOT below)
      message(FATAL_ERROR "layer ${name} depends on ${dependency}, which is not defined before it "
                          "(define layers bottom-up in etl/CMakeLists.txt)")
    endif()
    list(APPEND allowed ${below})
    list(APPEND dependency_targets pinpipe_${dependency})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  list(SORT allowed)
  set_property(GLOBAL PROPERTY pinpipe_layer_${name}_reaches ${allowed})

  add_library(${target} STATIC ${sources} ${arg_SOURCES})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/etl)
  target_link_libraries(${target} PUBLIC ${dependency_targets} ${arg_LIBRARIES} pinpipe_sanitizers
                        PRIVATE pinpipe_warnings)
  if(PINPIPE_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 16)
  endif()

  string(REPLACE ";" "," allowed_list "${allowed}")
  set(stamp ${CMAKE_BINARY_DIR}/layer_checks/${name}.includes)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DLAYER=${name} -DALLOWED=${allowed_list} -DDIR=${dir} -DSTAMP=${stamp} -P
            ${PROJECT_SOURCE_DIR}/cmake/check_layer_includes.cmake
    DEPENDS ${sources} ${headers} ${PROJECT_SOURCE_DIR}/cmake/check_layer_includes.cmake
    COMMENT "Checking that etl/${name}/ includes only the layers it links")
  add_custom_target(${target}_includes DEPENDS ${stamp})
  add_dependencies(${target} ${target}_includes)

  if(PINPIPE_CHECK_LAYER_LINKS)
    add_library(${target}_links SHARED ${PINPIPE_LAYER_EMPTY_SOURCE})
    target_link_libraries(${target}_links PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${target}>")
    target_link_options(${target}_links PRIVATE LINKER:--no-undefined)
    # Not installed, not loaded: it exists for its link step only.
    set_target_properties(${target}_links PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/layer_checks)
  endif()
endfunction()
