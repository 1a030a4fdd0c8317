# Strict warnings for the project's own targets only (third-party headers come in as SYSTEM).
function(pons_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(PONS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
