# Layers as libraries. Each layer of the code base (compiler/support, compiler/graph, ...,
# search) is one library that links only the layers below it, and a build-time check fails
# the build when a file of a layer includes a header of a layer it does not depend on.
# Linking alone would not catch that: a header-only include needs no symbol, and static
# libraries resolve symbols only at the final link.
#
# One table, one function call per layer, bottom-up:
#
#   nas_add_layer(<name> FOLDERS <folder>... [TOP_FILES_OF <folder>...] [EXCLUDE <folder>...]
#                 [DEPENDS <layer>...] [EXECUTABLE <target>])
#
# creates the library nas_<name> (or the executable <target>) from the .cc files under its
# FOLDERS (recursively; TOP_FILES_OF takes only the files directly in a folder; sources under
# an EXCLUDE folder are left out, for another layer or an optional part to add), links it
# PUBLIC to nas_<dep> for each DEPENDS, and records the layers it may include: itself and the
# transitive closure of DEPENDS, the same table the link uses, so the two cannot disagree.
# A layer can depend only on layers declared before it, so the table has no cycles. A layer
# with no .cc file yet is an INTERFACE library.
#
# Which layer a header belongs to: the layer with the longest folder that holds it (so
# search/cli/ belongs to cli, not search). The check (cmake/check_layer_includes.cmake) runs
# before a layer's library builds and again whenever one of its files changes, and reads the
# table from ${CMAKE_BINARY_DIR}/nas_layers.cmake, written at the end of configuration.

set(NAS_LAYER_CHECK_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/check_layer_includes.cmake)
set(NAS_LAYER_TABLE ${CMAKE_BINARY_DIR}/nas_layers.cmake)
set(NAS_LAYER_FILE_PATTERNS *.h *.cc *.def *.inc)
set_property(GLOBAL PROPERTY NAS_LAYERS "")

# The files of `folders` (recursive) and `top_folders` (not) matching `patterns`, minus those
# under an `exclude` folder, relative to the source folder.
function(_nas_layer_glob out patterns folders top_folders exclude)
  set(globs "")
  foreach(folder IN LISTS folders)
    foreach(pattern IN LISTS patterns)
      list(APPEND globs ${CMAKE_SOURCE_DIR}/${folder}/${pattern})
    endforeach()
  endforeach()
  set(found "")
  if(globs)
    file(GLOB_RECURSE found CONFIGURE_DEPENDS RELATIVE ${CMAKE_SOURCE_DIR} ${globs})
  endif()
  set(top_globs "")
  foreach(folder IN LISTS top_folders)
    foreach(pattern IN LISTS patterns)
      list(APPEND top_globs ${CMAKE_SOURCE_DIR}/${folder}/${pattern})
    endforeach()
  endforeach()
  if(top_globs)
    file(GLOB top_found CONFIGURE_DEPENDS RELATIVE ${CMAKE_SOURCE_DIR} ${top_globs})
    list(APPEND found ${top_found})
  endif()
  foreach(folder IN LISTS exclude)
    list(FILTER found EXCLUDE REGEX "^${folder}/")
  endforeach()
  list(SORT found)
  set(${out} ${found} PARENT_SCOPE)
endfunction()

function(nas_add_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "EXECUTABLE" "FOLDERS;TOP_FILES_OF;EXCLUDE;DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "nas_add_layer(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  get_property(layers GLOBAL PROPERTY NAS_LAYERS)
  if(name IN_LIST layers)
    message(FATAL_ERROR "nas_add_layer(${name}): layer declared twice")
  endif()

  # May include: itself and everything its dependencies may include.
  set(allowed ${name})
  foreach(dep IN LISTS ARG_DEPENDS)
    if(NOT dep IN_LIST layers)
      message(FATAL_ERROR "nas_add_layer(${name}): depends on '${dep}', which is not a layer "
                          "declared before it (layers are declared bottom-up: ${layers})")
    endif()
    get_property(dep_allowed GLOBAL PROPERTY NAS_LAYER_${dep}_ALLOWED)
    list(APPEND allowed ${dep_allowed})
  endforeach()
  # In table order, bottom-up, for readable messages.
  set(ordered "")
  foreach(layer IN LISTS layers ITEMS ${name})
    if(layer IN_LIST allowed)
      list(APPEND ordered ${layer})
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY NAS_LAYERS ${name})
  set_property(GLOBAL PROPERTY NAS_LAYER_${name}_ALLOWED ${ordered})
  set_property(GLOBAL PROPERTY NAS_LAYER_${name}_FOLDERS ${ARG_FOLDERS})
  set_property(GLOBAL PROPERTY NAS_LAYER_${name}_TOP_FILES_OF ${ARG_TOP_FILES_OF})

  _nas_layer_glob(sources "*.cc" "${ARG_FOLDERS}" "${ARG_TOP_FILES_OF}" "${ARG_EXCLUDE}")
  if(ARG_EXECUTABLE)
    set(target ${ARG_EXECUTABLE})
    add_executable(${target} ${sources})
    set(scope PRIVATE)
  elseif(sources)
    set(target nas_${name})
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
  else()
    set(target nas_${name})
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  set_property(GLOBAL PROPERTY NAS_LAYER_${name}_TARGET ${target})
  target_include_directories(${target} ${scope} ${CMAKE_SOURCE_DIR})
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} ${scope} nas_${dep})
  endforeach()

  # The include check. It depends on every file under the layer's folders (excluded ones
  # too: search/mpi/ belongs to search whether or not it is built), the table and the script.
  _nas_layer_glob(checked "${NAS_LAYER_FILE_PATTERNS}" "${ARG_FOLDERS}" "${ARG_TOP_FILES_OF}" "")
  if(checked)
    list(TRANSFORM checked PREPEND ${CMAKE_SOURCE_DIR}/ OUTPUT_VARIABLE checked_paths)
    set(stamp ${CMAKE_BINARY_DIR}/layer_checks/${name}.stamp)
    add_custom_command(OUTPUT ${stamp}
      COMMAND ${CMAKE_COMMAND} -DLAYER=${name} -DTABLE=${NAS_LAYER_TABLE}
              -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DSTAMP=${stamp} -P ${NAS_LAYER_CHECK_SCRIPT}
      DEPENDS ${checked_paths} ${NAS_LAYER_TABLE} ${NAS_LAYER_CHECK_SCRIPT}
      COMMENT "Checking the includes of layer '${name}'"
      VERBATIM)
    add_custom_target(nas_${name}_includes ALL DEPENDS ${stamp})
    # On an INTERFACE library, the dependency passes to whatever links it.
    add_dependencies(${target} nas_${name}_includes)
  endif()
endfunction()

# The table the check reads: layers in order, their folders, and what each may include.
# Written only when it changed, so that reconfiguring does not rerun every check.
function(_nas_write_layer_table)
  get_property(layers GLOBAL PROPERTY NAS_LAYERS)
  set(content "# Generated by cmake/NasLayers.cmake: the layer table, for the include check.\n")
  string(APPEND content "set(NAS_LAYERS \"${layers}\")\n")
  foreach(layer IN LISTS layers)
    foreach(field ALLOWED FOLDERS TOP_FILES_OF)
      get_property(value GLOBAL PROPERTY NAS_LAYER_${layer}_${field})
      string(APPEND content "set(NAS_LAYER_${layer}_${field} \"${value}\")\n")
    endforeach()
  endforeach()
  file(CONFIGURE OUTPUT ${NAS_LAYER_TABLE} CONTENT "${content}" @ONLY)
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _nas_write_layer_table)
