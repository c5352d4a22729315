# Installs the lucid build tree into WORK_DIR/prefix, then configures, builds
# and runs the consumer project against that prefix; then again with lucid's
# source tree added as a subdirectory. Fails on any error.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${LUCID_BUILD_DIR} --prefix ${WORK_DIR}/prefix)
if(NOT EXISTS ${WORK_DIR}/prefix/share/cmake/lucid/lucidConfig.cmake)
  message(FATAL_ERROR "install did not produce lucidConfig.cmake")
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "consumer project built and ran against the installed lucid")

# The same project with lucid as a subdirectory. No build type is given: lucid
# must not impose its Release default on its parent, nor build its own tests,
# examples or tool there.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build-subdir
    -DLUCID_SOURCE_DIR=${LUCID_SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_CXX_FLAGS=-O1)
file(STRINGS ${WORK_DIR}/build-subdir/CMakeCache.txt build_type REGEX "^CMAKE_BUILD_TYPE:")
if(build_type AND NOT build_type MATCHES "^CMAKE_BUILD_TYPE:[A-Z]+=$")
  message(FATAL_ERROR "add_subdirectory(lucid) changed the parent's build type: ${build_type}")
endif()
if(EXISTS ${WORK_DIR}/build-subdir/lucid/tests OR EXISTS ${WORK_DIR}/build-subdir/lucid/apps)
  message(FATAL_ERROR "add_subdirectory(lucid) configured lucid's own tests or tool")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build-subdir)
run(${WORK_DIR}/build-subdir/consumer)
message(STATUS "consumer project built and ran with lucid as a subdirectory")
