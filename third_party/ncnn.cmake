# Resolve ncnn for ncasr, in this order:
#   (a) an installed ncnn:   -Dncnn_DIR=<prefix>/lib/cmake/ncnn
#   (b) a local source:      -DNCASR_NCNN_SOURCE=<ncnn source tree or .tar.gz/.zip>
#   (c) the pinned ncnn sdist from PyPI, fetched by `pip download` (by package name),
#       sha256-verified.
# For (b) and (c) ncnn is configured, built and installed at *configure* time into a
# cache folder outside the repo, keyed by ncnn version, build options, compiler and
# toolchain, so later builds (and pip's throw-away build trees) reuse it.
# Clear the cache with `rm -rf ~/.cache/ncasr/ncnn` (or $NCASR_CACHE_DIR/ncnn).

set(NCASR_NCNN_VERSION "1.0.20261020")
string(REGEX REPLACE "^.*\\." "" NCASR_NCNN_DATE "${NCASR_NCNN_VERSION}")  # ncnn versions itself by date
set(NCASR_NCNN_SDIST "ncnn-${NCASR_NCNN_VERSION}.tar.gz")
set(NCASR_NCNN_SHA256 "ad8cdd63e9755cfa8e23b9b6d9ce46156077d80298a89e7c3ba325ffccfca200")
# ncnn's setup.py stamps today's date into its version, so pip only accepts the sdist
# when the clock reads its release day.
set(NCASR_NCNN_RELEASE_TIME "2026-10-20 12:00:00")

set(NCASR_NCNN_SOURCE "" CACHE PATH "ncnn source tree or archive to build instead of the PyPI sdist")
set(NCASR_NCNN_JOBS "" CACHE STRING "parallel jobs for the ncnn build (default: all cores)")

# Layers that only vision models use; leaving them out cuts the cold build by minutes.
# A model that needs one fails to load with a clear "layer type not available" error.
set(NCASR_NCNN_DISABLED_LAYERS
    argmax spp proposal roipooling priorbox detectionoutput yolodetectionoutput
    yolov3detectionoutput psroipooling roialign reorg shufflechannel pixelshuffle
    deformableconv2d gridsample lrn normalize
    deconvolution deconvolutiondepthwise deconvolution1d deconvolutiondepthwise1d
    deconvolution3d deconvolutiondepthwise3d convolution3d convolutiondepthwise3d pooling3d)

function(_ncasr_cache_root out)
  if(DEFINED ENV{NCASR_CACHE_DIR} AND NOT "$ENV{NCASR_CACHE_DIR}" STREQUAL "")
    set(root "$ENV{NCASR_CACHE_DIR}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(root "$ENV{XDG_CACHE_HOME}/ncasr")
  elseif(DEFINED ENV{HOME})
    set(root "$ENV{HOME}/.cache/ncasr")
  else()
    set(root "${CMAKE_BINARY_DIR}/ncasr-cache")
  endif()
  set(${out} "${root}" PARENT_SCOPE)
endfunction()

function(_ncasr_ncnn_options out)
  set(opts
      -DCMAKE_BUILD_TYPE=Release
      -DNCNN_VERSION=${NCASR_NCNN_DATE}
      -DNCNN_SHARED_LIB=OFF
      -DCMAKE_POSITION_INDEPENDENT_CODE=ON
      -DNCNN_VULKAN=OFF
      -DNCNN_OPENMP=ON
      -DNCNN_RUNTIME_CPU=ON
      -DNCNN_INT8=ON
      -DNCNN_BF16=ON
      -DNCNN_C_API=OFF
      -DNCNN_PIXEL=OFF -DNCNN_PIXEL_ROTATE=OFF -DNCNN_PIXEL_AFFINE=OFF -DNCNN_PIXEL_DRAWING=OFF
      -DNCNN_BUILD_TOOLS=OFF -DNCNN_BUILD_EXAMPLES=OFF -DNCNN_BUILD_BENCHMARK=OFF
      -DNCNN_BUILD_TESTS=OFF -DNCNN_PYTHON=OFF
      -DNCNN_DISABLE_RTTI=OFF -DNCNN_DISABLE_EXCEPTION=OFF)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i686)$")
    list(APPEND opts -DNCNN_AVX2=ON -DNCNN_AVX512=ON -DNCNN_AVX512VNNI=ON -DNCNN_AVXVNNI=ON)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    list(APPEND opts -DNCNN_ARM82=ON -DNCNN_ARM82DOT=ON -DNCNN_ARM84I8MM=ON)
  endif()
  foreach(layer IN LISTS NCASR_NCNN_DISABLED_LAYERS)
    list(APPEND opts -DWITH_LAYER_${layer}=OFF)
  endforeach()
  if(CMAKE_TOOLCHAIN_FILE)
    list(APPEND opts -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE})
  endif()
  set(${out} "${opts}" PARENT_SCOPE)
endfunction()

# Puts the ncnn sdist (sha256-checked) at ${archive}.
function(_ncasr_fetch_sdist archive)
  if(EXISTS "${archive}")
    file(SHA256 "${archive}" have)
    if(have STREQUAL NCASR_NCNN_SHA256)
      return()
    endif()
    file(REMOVE "${archive}")
  endif()
  get_filename_component(dir "${archive}" DIRECTORY)
  set(tmp "${dir}/download-tmp")
  file(REMOVE_RECURSE "${tmp}")
  file(MAKE_DIRECTORY "${tmp}")
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  find_program(NCASR_FAKETIME faketime)
  # Inside pip's isolated build environment PYTHONPATH hides the interpreter's own
  # site-packages (and so pip itself); the download runs with the user's environment.
  set(pip_cmd "${CMAKE_COMMAND}" -E env --unset=PYTHONPATH --unset=PYTHONNOUSERSITE
      --unset=PIP_BUILD_TRACKER --unset=PIP_REQ_TRACKER
      "${Python3_EXECUTABLE}" -m pip download --no-deps --no-binary :all:
      --disable-pip-version-check -d "${tmp}" "ncnn==${NCASR_NCNN_VERSION}")
  if(NCASR_FAKETIME)
    list(INSERT pip_cmd 0 "${NCASR_FAKETIME}" "${NCASR_NCNN_RELEASE_TIME}")
  else()
    message(WARNING "ncasr: `faketime` not found; pip may refuse the ncnn sdist "
                    "(\"inconsistent version\"). Install it with `apt-get install faketime`.")
  endif()
  message(STATUS "ncasr: downloading ncnn ${NCASR_NCNN_VERSION} source with pip")
  execute_process(COMMAND ${pip_cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${tmp}/${NCASR_NCNN_SDIST}")
    message(FATAL_ERROR "ncasr: could not download the ncnn ${NCASR_NCNN_VERSION} sdist with pip "
                        "(exit ${rc}).\n${err}\nInstall `faketime`, or point "
                        "NCASR_NCNN_SOURCE at an ncnn source tree, or ncnn_DIR at an installed ncnn.")
  endif()
  file(SHA256 "${tmp}/${NCASR_NCNN_SDIST}" have)
  if(NOT have STREQUAL NCASR_NCNN_SHA256)
    message(FATAL_ERROR "ncasr: ${NCASR_NCNN_SDIST} has sha256 ${have}, expected ${NCASR_NCNN_SHA256}")
  endif()
  file(RENAME "${tmp}/${NCASR_NCNN_SDIST}" "${archive}")
  file(REMOVE_RECURSE "${tmp}")
endfunction()

# Unpacks ${archive} under ${dest_parent}; returns the folder holding CMakeLists.txt.
function(_ncasr_extract archive dest_parent out)
  file(REMOVE_RECURSE "${dest_parent}")
  file(ARCHIVE_EXTRACT INPUT "${archive}" DESTINATION "${dest_parent}")
  file(GLOB_RECURSE found LIST_DIRECTORIES false "${dest_parent}/*/src/layer.h" "${dest_parent}/src/layer.h")
  list(LENGTH found n)
  if(n EQUAL 0)
    message(FATAL_ERROR "ncasr: ${archive} does not look like ncnn source (no src/layer.h)")
  endif()
  list(GET found 0 first)
  get_filename_component(src "${first}" DIRECTORY)
  get_filename_component(src "${src}" DIRECTORY)
  set(${out} "${src}" PARENT_SCOPE)
endfunction()

function(ncasr_resolve_ncnn)
  # (a) an installed ncnn
  if(ncnn_DIR)
    find_package(ncnn CONFIG REQUIRED)
    message(STATUS "ncasr: using installed ncnn from ${ncnn_DIR}")
    set(NCASR_NCNN_ORIGIN "installed (${ncnn_DIR})" PARENT_SCOPE)
    return()
  endif()

  _ncasr_cache_root(cache)
  _ncasr_ncnn_options(opts)
  if(NCASR_NCNN_SOURCE)
    get_filename_component(src_abs "${NCASR_NCNN_SOURCE}" ABSOLUTE)
    set(origin "local source ${src_abs}")
    set(key_src "${src_abs}")
  else()
    set(origin "PyPI sdist ${NCASR_NCNN_SDIST}")
    set(key_src "${NCASR_NCNN_SHA256}")
  endif()
  # The toolchain file counts by its content, not its path, so clones elsewhere share the build.
  set(key_opts "${opts}")
  if(CMAKE_TOOLCHAIN_FILE)
    file(SHA256 "${CMAKE_TOOLCHAIN_FILE}" toolchain_sha)
    string(REPLACE "${CMAKE_TOOLCHAIN_FILE}" "toolchain-${toolchain_sha}" key_opts "${opts}")
  endif()
  string(SHA256 key "${key_src};${key_opts};${CMAKE_CXX_COMPILER_ID};${CMAKE_CXX_COMPILER_VERSION};${CMAKE_SYSTEM_PROCESSOR}")
  string(SUBSTRING "${key}" 0 12 key)
  set(root "${cache}/ncnn")
  set(prefix "${root}/${NCASR_NCNN_VERSION}-${CMAKE_SYSTEM_PROCESSOR}-${key}")
  set(stamp "${prefix}/.ncasr-complete")

  file(MAKE_DIRECTORY "${root}")
  # Two builds at once (pip in two shells) must not write one prefix together.
  file(LOCK "${root}/.lock" GUARD FUNCTION TIMEOUT 3600)
  if(NOT EXISTS "${stamp}")
    message(STATUS "ncasr: building ncnn (${origin}) into ${prefix}; this is done once")
    set(work "${root}/work-${key}")
    if(NCASR_NCNN_SOURCE AND IS_DIRECTORY "${src_abs}")
      set(src "${src_abs}")
    else()
      if(NCASR_NCNN_SOURCE)
        set(archive "${src_abs}")
      else()
        set(archive "${root}/${NCASR_NCNN_SDIST}")
        _ncasr_fetch_sdist("${archive}")
      endif()
      _ncasr_extract("${archive}" "${work}/src" src)
    endif()
    if(NCASR_NCNN_JOBS)
      set(jobs ${NCASR_NCNN_JOBS})
    else()
      cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
    endif()
    set(gen_args -G "${CMAKE_GENERATOR}")
    if(CMAKE_MAKE_PROGRAM)
      list(APPEND gen_args -DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM})
    endif()
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -S "${src}" -B "${work}/build" ${gen_args}
              -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
              -DCMAKE_INSTALL_PREFIX=${prefix} ${opts}
      RESULT_VARIABLE rc OUTPUT_FILE "${work}/configure.log" ERROR_FILE "${work}/configure.err")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "ncasr: configuring ncnn failed; see ${work}/configure.log and configure.err")
    endif()
    execute_process(
      COMMAND "${CMAKE_COMMAND}" --build "${work}/build" --parallel ${jobs}
      RESULT_VARIABLE rc OUTPUT_FILE "${work}/build.log" ERROR_FILE "${work}/build.err")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "ncasr: building ncnn failed; see ${work}/build.log and build.err")
    endif()
    execute_process(COMMAND "${CMAKE_COMMAND}" --install "${work}/build"
                    RESULT_VARIABLE rc OUTPUT_QUIET)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "ncasr: installing ncnn into ${prefix} failed")
    endif()
    string(REPLACE ";" " " opts_text "${opts}")
    file(WRITE "${stamp}" "origin: ${origin}\ncompiler: ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}\noptions: ${opts_text}\n")
    file(REMOVE_RECURSE "${work}")
  else()
    message(STATUS "ncasr: reusing cached ncnn at ${prefix}")
  endif()

  # The cache lives on the build machine, outside any cross sysroot.
  find_package(ncnn CONFIG REQUIRED PATHS "${prefix}" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  set(NCASR_NCNN_ORIGIN "${origin}" PARENT_SCOPE)
  set(NCASR_NCNN_PREFIX "${prefix}" PARENT_SCOPE)
endfunction()
