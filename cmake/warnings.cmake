# Strict warnings for the project's own targets only (third-party headers come in as SYSTEM).
function(pons_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  # gcc 12 at -O2 reports impossible overlaps in libstdc++'s own string code ("x" + std::string,
  # GCC bug 105329): a false positive in a system header, not in ours.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(PONS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
